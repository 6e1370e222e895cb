// Command peer is a room participant built on Pion WebRTC v3: an independent WebRTC stack, written
// in Go, that the interoperability tests set against the bot. It speaks the room protocol of
// shared/PROTOCOL.md like the room's page does: it offers to every later `new-peer`, answers the
// offers of peers that were there first (its tracks added before the offer is applied), opens or
// accepts the data channel `channel`, chats as "NAME: TEXT", and sends VP8 video and Opus audio
// read from an IVF and an Ogg file, looping them. It never shares a screen and ignores screen
// connections.
//
// Every `a=candidate:` line in the descriptions it receives is read by Pion's SDP and ICE parsers
// and held to RFC 8839's grammar (the foundation is 1 to 32 ice-chars), and the count of lines
// accepted and the lines refused go into the result.
//
//	peer --ws ws://127.0.0.1:PORT/ --name pion --video in.ivf --audio in.ogg \
//	     --chat 'hello from pion' --result pion.json
//	peer --check-sdp description.sdp    # only the candidate check, on a file
//
// It runs until SIGINT or SIGTERM (or --seconds), then closes its connections. What it saw is
// written to --result as JSON at every change and at exit; each received chat line is also
// printed on standard output as "chat in <peer>: <line>".
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/ice/v2"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/oggreader"
)

// frame is one room protocol frame: {"peer": NAME, "action": ACTION, "message": {...}}.
type frame struct {
	Peer    string                     `json:"peer"`
	Action  string                     `json:"action"`
	Message map[string]json.RawMessage `json:"message"`
}

type chatLine struct {
	Seconds   float64 `json:"t"`
	Direction string  `json:"direction"`
	Text      string  `json:"text"`
	Via       string  `json:"via,omitempty"`
}

type peerReport struct {
	Name            string         `json:"name"`
	Role            string         `json:"role"`
	ICEState        string         `json:"iceConnectionState"`
	ConnectionState string         `json:"connectionState"`
	DataChannel     string         `json:"dataChannel"`
	RemoteTracks    []string       `json:"remoteTracks"`
	PacketsReceived map[string]int `json:"packetsReceived"`
}

type candidateReport struct {
	Accepted int      `json:"accepted"`
	Refused  []string `json:"refused"`
}

type result struct {
	Implementation string          `json:"implementation"`
	Name           string          `json:"name"`
	Peers          []*peerReport   `json:"peers"`
	ChatLog        []chatLine      `json:"chatLog"`
	Candidates     candidateReport `json:"remoteCandidates"`
	VideoFrames    int             `json:"videoFramesSent"`
	AudioPackets   int             `json:"audioPacketsSent"`
	Errors         []string        `json:"errors"`
}

type connection struct {
	pc      *webrtc.PeerConnection
	report  *peerReport
	channel *webrtc.DataChannel
}

type participant struct {
	name     string
	chatText string
	started  time.Time
	api      *webrtc.API
	video    *webrtc.TrackLocalStaticSample
	audio    *webrtc.TrackLocalStaticSample
	socket   *websocket.Conn
	writeMu  sync.Mutex

	resultMu    sync.Mutex // one writer of the result file at a time, so the newest state lands last
	mu          sync.Mutex
	connections map[string]*connection // by peer name: one camera connection per peer
	state       result
	resultPath  string
}

func main() {
	wsURL := flag.String("ws", "", "room WebSocket URL, e.g. ws://127.0.0.1:PORT/")
	name := flag.String("name", "pion", "our name in the room")
	videoPath := flag.String("video", "", "VP8 video to send, an IVF file (looped)")
	audioPath := flag.String("audio", "", "Opus audio to send, an Ogg file of 20 ms pages (looped)")
	chat := flag.String("chat", "", "a chat line to send over each data channel once it opens")
	chatDelay := flag.Duration("chat-delay", time.Second, "wait this long after a channel opens before chatting")
	seconds := flag.Duration("seconds", 0, "leave after this long (default: at SIGINT or SIGTERM)")
	resultPath := flag.String("result", "", "where to write what it saw, as JSON")
	checkSDP := flag.String("check-sdp", "", "only check the candidate lines of this description, print the verdict as JSON and exit")
	flag.Parse()
	if *checkSDP != "" {
		os.Exit(checkDescriptionFile(*checkSDP))
	}
	if *wsURL == "" || *videoPath == "" || *audioPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	log.SetFlags(log.Lmicroseconds)

	me, err := newParticipant(*name, *chat, *resultPath)
	if err != nil {
		log.Fatalf("setup: %v", err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	if *seconds > 0 {
		time.AfterFunc(*seconds, func() { stop <- syscall.SIGTERM })
	}

	socket, _, err := websocket.DefaultDialer.Dial(*wsURL, nil)
	if err != nil {
		log.Fatalf("websocket %s: %v", *wsURL, err)
	}
	me.socket = socket
	log.Printf("websocket open %s", *wsURL)

	go me.sendVideo(*videoPath)
	go me.sendAudio(*audioPath)
	go me.readFrames(*chatDelay)
	me.send("new-peer", map[string]interface{}{"local_screen_sharing": false})

	<-stop
	log.Printf("leaving")
	me.leave()
}

// checkDescriptionFile runs checkCandidates on a file and prints what it found: 0 when every
// candidate line passed, 1 when one did not or the description could not be read.
func checkDescriptionFile(path string) int {
	text, err := os.ReadFile(path)
	if err != nil {
		log.Print(err)
		return 1
	}
	me := &participant{state: result{Errors: []string{}}}
	me.state.Candidates.Refused = []string{}
	me.checkCandidates(string(text))
	output, _ := json.MarshalIndent(map[string]interface{}{"remoteCandidates": me.state.Candidates, "errors": me.state.Errors}, "", "  ")
	fmt.Println(string(output))
	if len(me.state.Errors) > 0 || len(me.state.Candidates.Refused) > 0 {
		return 1
	}
	return 0
}

func newParticipant(name, chatText, resultPath string) (*participant, error) {
	settings := webrtc.SettingEngine{}
	// A test's network namespace has only the loopback interface, which Pion leaves out by default.
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	codecs := &webrtc.MediaEngine{}
	if err := codecs.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	video, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", name)
	if err != nil {
		return nil, err
	}
	audio, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", name)
	if err != nil {
		return nil, err
	}
	me := &participant{
		name: name, chatText: chatText, started: time.Now(),
		api:   webrtc.NewAPI(webrtc.WithSettingEngine(settings), webrtc.WithMediaEngine(codecs)),
		video: video, audio: audio,
		connections: map[string]*connection{},
		state:       result{Implementation: "pion/webrtc v3", Name: name, Peers: []*peerReport{}, ChatLog: []chatLine{}, Errors: []string{}},
		resultPath:  resultPath,
	}
	me.state.Candidates.Refused = []string{}
	me.writeResult()
	return me, nil
}

func (me *participant) seconds() float64 { return time.Since(me.started).Seconds() }

// fail records an error in the result and the log.
func (me *participant) fail(format string, args ...interface{}) {
	text := fmt.Sprintf(format, args...)
	log.Print(text)
	me.mu.Lock()
	me.state.Errors = append(me.state.Errors, text)
	me.mu.Unlock()
	me.writeResult()
}

func (me *participant) send(action string, message map[string]interface{}) {
	me.writeMu.Lock()
	defer me.writeMu.Unlock()
	err := me.socket.WriteJSON(map[string]interface{}{"peer": me.name, "action": action, "message": message})
	if err != nil {
		log.Printf("send %s: %v", action, err)
		return
	}
	log.Printf("sent %s", action)
}

func (me *participant) readFrames(chatDelay time.Duration) {
	for {
		_, data, err := me.socket.ReadMessage()
		if err != nil {
			log.Printf("websocket closed: %v", err)
			return
		}
		var incoming frame
		if err := json.Unmarshal(data, &incoming); err != nil || incoming.Message == nil {
			log.Printf("bad frame: %.200s", data)
			continue
		}
		if incoming.Peer == me.name {
			continue
		}
		go me.handle(incoming, chatDelay)
	}
}

func boolField(message map[string]json.RawMessage, key string) bool {
	var value bool
	_ = json.Unmarshal(message[key], &value)
	return value
}

func (me *participant) handle(incoming frame, chatDelay time.Duration) {
	var channelName interface{}
	_ = json.Unmarshal(incoming.Message["receiver_channel_name"], &channelName)
	senderSharing := boolField(incoming.Message, "local_screen_sharing")
	senderThinksWeShare := boolField(incoming.Message, "remote_screen_sharing")
	log.Printf("received %s from %q", incoming.Action, incoming.Peer)
	if senderSharing || senderThinksWeShare {
		log.Printf("a screen connection: not ours to make")
		return
	}
	var description webrtc.SessionDescription
	switch incoming.Action {
	case "new-peer":
		me.offer(incoming.Peer, channelName, chatDelay)
	case "new-offer":
		if err := json.Unmarshal(incoming.Message["sdp"], &description); err != nil {
			me.fail("offer from %q: %v", incoming.Peer, err)
			return
		}
		me.answer(incoming.Peer, description, channelName, chatDelay)
	case "new-answer":
		if err := json.Unmarshal(incoming.Message["sdp"], &description); err != nil {
			me.fail("answer from %q: %v", incoming.Peer, err)
			return
		}
		me.mu.Lock()
		known := me.connections[incoming.Peer]
		me.mu.Unlock()
		if known == nil || known.report.Role != "offerer" {
			log.Printf("an answer from %q without an offer of ours", incoming.Peer)
			return
		}
		me.checkCandidates(description.SDP)
		if err := known.pc.SetRemoteDescription(description); err != nil {
			me.fail("applying the answer from %q: %v", incoming.Peer, err)
			return
		}
		log.Printf("answer from %q applied", incoming.Peer)
	}
}

// newConnection makes a connection to `peer` with our two tracks, replacing any earlier one.
func (me *participant) newConnection(peer, role string, chatDelay time.Duration) (*connection, error) {
	pc, err := me.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	entry := &connection{pc: pc, report: &peerReport{
		Name: peer, Role: role, ICEState: "new", ConnectionState: "new", DataChannel: "none",
		RemoteTracks: []string{}, PacketsReceived: map[string]int{}}}
	for _, track := range []webrtc.TrackLocal{me.audio, me.video} {
		sender, err := pc.AddTrack(track)
		if err != nil {
			return nil, err
		}
		// Read the peer's RTCP: Pion's interceptors (NACK responder, reports) see it on the way.
		go func() {
			buffer := make([]byte, 1500)
			for {
				if _, _, err := sender.Read(buffer); err != nil {
					return
				}
			}
		}()
	}
	pc.OnICEConnectionStateChange(func(state webrtc.ICEConnectionState) {
		log.Printf("%s: ice %s", peer, state)
		me.update(func() { entry.report.ICEState = state.String() })
	})
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		log.Printf("%s: connection %s", peer, state)
		me.update(func() { entry.report.ConnectionState = state.String() })
	})
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		kind := track.Kind().String()
		log.Printf("%s: track %s %s", peer, kind, track.Codec().MimeType)
		me.update(func() { entry.report.RemoteTracks = append(entry.report.RemoteTracks, kind) })
		for {
			if _, _, err := track.ReadRTP(); err != nil {
				return
			}
			me.mu.Lock()
			entry.report.PacketsReceived[kind]++
			me.mu.Unlock()
		}
	})
	pc.OnDataChannel(func(channel *webrtc.DataChannel) {
		log.Printf("%s: data channel %q arrived", peer, channel.Label())
		me.attach(entry, channel, chatDelay)
	})

	me.mu.Lock()
	old := me.connections[peer]
	me.connections[peer] = entry
	me.state.Peers = append(me.state.Peers, entry.report)
	me.mu.Unlock()
	if old != nil {
		log.Printf("%s: a new connection replaces the old one", peer)
		_ = old.pc.Close()
	}
	me.writeResult()
	return entry, nil
}

func (me *participant) attach(entry *connection, channel *webrtc.DataChannel, chatDelay time.Duration) {
	if channel.Label() != "channel" {
		log.Printf("%s: ignoring data channel %q", entry.report.Name, channel.Label())
		return
	}
	peer := entry.report.Name
	me.mu.Lock()
	entry.channel = channel
	me.mu.Unlock()
	channel.OnOpen(func() {
		log.Printf("%s: data channel open", peer)
		me.update(func() { entry.report.DataChannel = "open" })
		if me.chatText == "" {
			return
		}
		time.AfterFunc(chatDelay, func() {
			line := me.name + ": " + me.chatText
			if err := channel.SendText(line); err != nil {
				me.fail("chat to %q: %v", peer, err)
				return
			}
			log.Printf("chat out %s: %s", peer, line)
			me.update(func() {
				me.state.ChatLog = append(me.state.ChatLog, chatLine{me.seconds(), "out", me.chatText, peer})
			})
		})
	})
	channel.OnClose(func() {
		log.Printf("%s: data channel closed", peer)
		me.update(func() { entry.report.DataChannel = "closed" })
	})
	channel.OnMessage(func(message webrtc.DataChannelMessage) {
		text := "[binary]"
		if message.IsString {
			text = string(message.Data)
		}
		fmt.Printf("chat in %s: %s\n", peer, text)
		me.update(func() {
			me.state.ChatLog = append(me.state.ChatLog, chatLine{me.seconds(), "in", text, peer})
		})
	})
}

func (me *participant) offer(peer string, channelName interface{}, chatDelay time.Duration) {
	entry, err := me.newConnection(peer, "offerer", chatDelay)
	if err != nil {
		me.fail("connection to %q: %v", peer, err)
		return
	}
	channel, err := entry.pc.CreateDataChannel("channel", nil)
	if err != nil {
		me.fail("data channel to %q: %v", peer, err)
		return
	}
	me.attach(entry, channel, chatDelay)
	offer, err := entry.pc.CreateOffer(nil)
	if err != nil {
		me.fail("offer to %q: %v", peer, err)
		return
	}
	gathered := webrtc.GatheringCompletePromise(entry.pc)
	if err := entry.pc.SetLocalDescription(offer); err != nil {
		me.fail("offer to %q: %v", peer, err)
		return
	}
	<-gathered // no trickle: every candidate goes in the description
	me.send("new-offer", map[string]interface{}{
		"sdp": entry.pc.LocalDescription(), "receiver_channel_name": channelName,
		"local_screen_sharing": false, "remote_screen_sharing": false})
}

func (me *participant) answer(peer string, offer webrtc.SessionDescription, channelName interface{}, chatDelay time.Duration) {
	entry, err := me.newConnection(peer, "answerer", chatDelay) // tracks before the offer, as a page does
	if err != nil {
		me.fail("connection to %q: %v", peer, err)
		return
	}
	me.checkCandidates(offer.SDP)
	if err := entry.pc.SetRemoteDescription(offer); err != nil {
		me.fail("applying the offer from %q: %v", peer, err)
		return
	}
	answer, err := entry.pc.CreateAnswer(nil)
	if err != nil {
		me.fail("answer to %q: %v", peer, err)
		return
	}
	gathered := webrtc.GatheringCompletePromise(entry.pc)
	if err := entry.pc.SetLocalDescription(answer); err != nil {
		me.fail("answer to %q: %v", peer, err)
		return
	}
	<-gathered
	me.send("new-answer", map[string]interface{}{
		"sdp": entry.pc.LocalDescription(), "receiver_channel_name": channelName,
		"local_screen_sharing": false, "remote_screen_sharing": false})
}

// checkCandidates reads every candidate attribute of a description with Pion's SDP and ICE parsers,
// then holds its foundation to RFC 8839 (1*32 ice-char). Pion's own parser takes any first token as
// the foundation, so a doubled "candidate:candidate:" prefix would pass it unnoticed.
func (me *participant) checkCandidates(text string) {
	var parsed sdp.SessionDescription
	if err := parsed.Unmarshal([]byte(text)); err != nil {
		me.fail("Pion's SDP parser refused a description: %v", err)
		return
	}
	var values []string
	for _, attribute := range parsed.Attributes {
		if attribute.Key == "candidate" {
			values = append(values, attribute.Value)
		}
	}
	for _, section := range parsed.MediaDescriptions {
		for _, attribute := range section.Attributes {
			if attribute.Key == "candidate" {
				values = append(values, attribute.Value)
			}
		}
	}
	for _, value := range values {
		problem := ""
		if candidate, err := ice.UnmarshalCandidate(value); err != nil {
			problem = err.Error()
		} else if !isFoundation(candidate.Foundation()) {
			problem = fmt.Sprintf("foundation %q is not 1 to 32 ice-chars", candidate.Foundation())
		}
		me.update(func() {
			if problem == "" {
				me.state.Candidates.Accepted++
			} else {
				me.state.Candidates.Refused = append(me.state.Candidates.Refused, "a=candidate:"+value+" ("+problem+")")
			}
		})
		if problem != "" {
			log.Printf("refused a=candidate:%s: %s", value, problem)
		}
	}
}

// isFoundation: RFC 8839 section 5.1, foundation = 1*32ice-char; ice-char = ALPHA / DIGIT / "+" / "/".
func isFoundation(text string) bool {
	if len(text) == 0 || len(text) > 32 {
		return false
	}
	for _, c := range text {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

func (me *participant) sendVideo(path string) {
	for {
		file, err := os.Open(path)
		if err != nil {
			me.fail("video: %v", err)
			return
		}
		reader, header, err := ivfreader.NewWith(file)
		if err != nil {
			me.fail("video %s: %v", path, err)
			return
		}
		if header.TimebaseDenominator == 0 {
			me.fail("video %s: IVF time base has a zero denominator", path)
			return
		}
		// One IVF tick per frame, as ffmpeg writes IVF: the frame rate is the time base's inverse.
		frameDuration := time.Duration(uint64(time.Second) * uint64(header.TimebaseNumerator) / uint64(header.TimebaseDenominator))
		ticker := time.NewTicker(frameDuration)
		for {
			data, _, err := reader.ParseNextFrame()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				me.fail("video %s: %v", path, err)
				break
			}
			<-ticker.C
			if err := me.video.WriteSample(media.Sample{Data: data, Duration: frameDuration}); err != nil {
				log.Printf("video: %v", err)
			}
			me.mu.Lock()
			me.state.VideoFrames++
			me.mu.Unlock()
		}
		ticker.Stop()
		file.Close()
	}
}

func (me *participant) sendAudio(path string) {
	for {
		file, err := os.Open(path)
		if err != nil {
			me.fail("audio: %v", err)
			return
		}
		reader, _, err := oggreader.NewWith(file)
		if err != nil {
			me.fail("audio %s: %v", path, err)
			return
		}
		const pageDuration = 20 * time.Millisecond // the file is made with one 20 ms packet per page
		ticker := time.NewTicker(pageDuration)
		var lastGranule uint64
		for {
			data, header, err := reader.ParseNextPage()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				me.fail("audio %s: %v", path, err)
				break
			}
			// The OpusTags page (granule 0) is a header, not audio.
			if header.GranulePosition == 0 || strings.HasPrefix(string(data), "OpusTags") {
				continue
			}
			samples := header.GranulePosition - lastGranule
			lastGranule = header.GranulePosition
			<-ticker.C
			if err := me.audio.WriteSample(media.Sample{Data: data, Duration: time.Duration(samples) * time.Second / 48000}); err != nil {
				log.Printf("audio: %v", err)
			}
			me.mu.Lock()
			me.state.AudioPackets++
			me.mu.Unlock()
		}
		ticker.Stop()
		file.Close()
	}
}

// update changes the state under the lock, then writes the result.
func (me *participant) update(change func()) {
	me.mu.Lock()
	change()
	me.mu.Unlock()
	me.writeResult()
}

func (me *participant) writeResult() {
	if me.resultPath == "" {
		return
	}
	me.resultMu.Lock()
	defer me.resultMu.Unlock()
	me.mu.Lock()
	data, err := json.MarshalIndent(&me.state, "", "  ")
	me.mu.Unlock()
	if err != nil {
		log.Printf("result: %v", err)
		return
	}
	// Written whole, then renamed: a reader never sees half a file.
	temporary := me.resultPath + ".tmp"
	if err := os.WriteFile(temporary, data, 0o644); err != nil {
		log.Printf("result: %v", err)
		return
	}
	if err := os.Rename(temporary, me.resultPath); err != nil {
		log.Printf("result: %v", err)
	}
}

func (me *participant) leave() {
	me.mu.Lock()
	var open []*connection
	for _, entry := range me.connections {
		open = append(open, entry)
	}
	me.mu.Unlock()
	for _, entry := range open {
		_ = entry.pc.Close()
	}
	me.writeResult()
	_ = me.socket.Close()
}
