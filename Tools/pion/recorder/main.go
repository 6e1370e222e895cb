// Command recorder is the reference recorder the bench sets beside the bot: a room participant built
// on Pion WebRTC v3 that sends no media and writes what every participant sends, without
// transcoding, one IVF file (VP8) and one Ogg file (Opus) per connection, with Pion's own writers,
// as Pion's save-to-disk example does.
//
// It speaks the room protocol of shared/PROTOCOL.md: it offers to every later `new-peer`
// (audio and video recvonly, and the data channel `channel` so a browser registers it) and answers
// every offer. No trickle: every candidate goes in the description.
//
//	recorder --ws ws://127.0.0.1:PORT/room --output DIR [--stats DIR/stats.json] [--name pion-recorder]
//
// It logs "PEER: first media packet N ms after the connection began" once per connection, as the
// bot does, and writes --stats (JSON: per connection and track, packets received and lost as
// sequence gaps) every two seconds and at exit. It runs until SIGINT or SIGTERM (or --seconds),
// then closes its connections and its files.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v3/pkg/media/oggwriter"
)

// frame is one room protocol frame: {"peer": NAME, "action": ACTION, "message": {...}}.
type frame struct {
	Peer    string                     `json:"peer"`
	Action  string                     `json:"action"`
	Message map[string]json.RawMessage `json:"message"`
}

// trackStats is one received track. The counters are written by the track's reader and read by the
// stats writer, so they are atomic.
type trackStats struct {
	Kind            string       `json:"kind"`
	Codec           string       `json:"codec"`
	File            string       `json:"file"`
	PacketsReceived atomic.Int64 `json:"-"`
	PacketsLost     atomic.Int64 `json:"-"`
	WriteErrors     atomic.Int64 `json:"-"`
}

func (t *trackStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]interface{}{
		"kind": t.Kind, "codec": t.Codec, "file": t.File, "packetsReceived": t.PacketsReceived.Load(),
		"packetsLost": t.PacketsLost.Load(), "writeErrors": t.WriteErrors.Load()})
}

type connection struct {
	Peer   string `json:"peer"`
	Screen bool   `json:"screen"`
	Role   string `json:"role"`
	// FirstMediaMilliseconds: from the connection's creation to its first RTP packet; -1 until then.
	FirstMediaMilliseconds int64         `json:"firstMediaMilliseconds"`
	Tracks                 []*trackStats `json:"tracks"`

	pc       *webrtc.PeerConnection
	created  time.Time
	index    int
	gotMedia sync.Once
}

type recorder struct {
	name    string
	output  string
	stats   string
	api     *webrtc.API
	socket  *websocket.Conn
	writeMu sync.Mutex // one writer of the WebSocket at a time

	mu          sync.Mutex
	connections map[string]*connection // by peer name and screen flag: the open ones
	all         []*connection          // every connection ever made, for the stats
	errors      []string
	readers     sync.WaitGroup // the track readers, each of which closes its file when its track ends
	statsMu     sync.Mutex
}

func main() {
	wsURL := flag.String("ws", "", "room WebSocket URL, e.g. ws://127.0.0.1:PORT/room")
	name := flag.String("name", "pion-recorder", "our name in the room")
	output := flag.String("output", "", "folder for the IVF and Ogg files")
	statsPath := flag.String("stats", "", "where to write the packet counts as JSON (default OUTPUT/stats.json)")
	seconds := flag.Duration("seconds", 0, "leave after this long (default: at SIGINT or SIGTERM)")
	flag.Parse()
	if *wsURL == "" || *output == "" {
		flag.Usage()
		os.Exit(2)
	}
	if *statsPath == "" {
		*statsPath = filepath.Join(*output, "stats.json")
	}
	log.SetFlags(log.Lmicroseconds)
	if err := os.MkdirAll(*output, 0o755); err != nil {
		log.Fatalf("output: %v", err)
	}
	api, err := newAPI()
	if err != nil {
		log.Fatalf("setup: %v", err)
	}
	me := &recorder{name: *name, output: *output, stats: *statsPath, api: api, connections: map[string]*connection{}}

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
	me.writeStats()
	go me.readFrames()
	go func() {
		for range time.Tick(2 * time.Second) {
			me.writeStats()
		}
	}()
	me.send("new-peer", map[string]interface{}{"local_screen_sharing": false})

	<-stop
	log.Printf("leaving")
	me.leave()
}

// newAPI: VP8 and Opus only, with NACK and PLI feedback, and Pion's default interceptors (NACK
// generator, receiver reports, transport-wide congestion control feedback).
func newAPI() (*webrtc.API, error) {
	settings := webrtc.SettingEngine{}
	// A test's network namespace has only the loopback interface, which Pion leaves out by default.
	settings.SetIncludeLoopbackCandidate(true)
	settings.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	settings.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	codecs := &webrtc.MediaEngine{}
	videoFeedback := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	if err := codecs.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback},
		PayloadType:        96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := codecs.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"},
		PayloadType: 111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	interceptors := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(codecs, interceptors); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(settings), webrtc.WithMediaEngine(codecs),
		webrtc.WithInterceptorRegistry(interceptors)), nil
}

func (me *recorder) fail(format string, args ...interface{}) {
	text := fmt.Sprintf(format, args...)
	log.Print(text)
	me.mu.Lock()
	me.errors = append(me.errors, text)
	me.mu.Unlock()
}

func (me *recorder) send(action string, message map[string]interface{}) {
	me.writeMu.Lock()
	defer me.writeMu.Unlock()
	if err := me.socket.WriteJSON(map[string]interface{}{"peer": me.name, "action": action, "message": message}); err != nil {
		log.Printf("send %s: %v", action, err)
	}
}

func (me *recorder) readFrames() {
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
		go me.handle(incoming)
	}
}

func boolField(message map[string]json.RawMessage, key string) bool {
	var value bool
	_ = json.Unmarshal(message[key], &value)
	return value
}

func connectionKey(peer string, screen bool) string {
	if screen {
		return peer + "\x00screen"
	}
	return peer + "\x00camera"
}

func (me *recorder) handle(incoming frame) {
	var channelName interface{}
	_ = json.Unmarshal(incoming.Message["receiver_channel_name"], &channelName)
	senderSharing := boolField(incoming.Message, "local_screen_sharing")
	var description webrtc.SessionDescription
	switch incoming.Action {
	case "new-peer":
		// A sharer's new-peer asks everyone for a second connection, to its screen.
		me.offer(incoming.Peer, senderSharing, channelName)
	case "new-offer":
		if boolField(incoming.Message, "remote_screen_sharing") {
			return // an offer for our screen: we never share
		}
		if err := json.Unmarshal(incoming.Message["sdp"], &description); err != nil {
			me.fail("offer from %q: %v", incoming.Peer, err)
			return
		}
		me.answer(incoming.Peer, senderSharing, description, channelName)
	case "new-answer":
		if err := json.Unmarshal(incoming.Message["sdp"], &description); err != nil {
			me.fail("answer from %q: %v", incoming.Peer, err)
			return
		}
		me.mu.Lock()
		known := me.connections[connectionKey(incoming.Peer, senderSharing)]
		me.mu.Unlock()
		if known == nil || known.Role != "offerer" {
			log.Printf("an answer from %q without an offer of ours", incoming.Peer)
			return
		}
		if err := known.pc.SetRemoteDescription(description); err != nil {
			me.fail("applying the answer from %q: %v", incoming.Peer, err)
		}
	}
}

// newConnection makes a connection to `peer`, replacing any earlier one for the same peer and kind.
func (me *recorder) newConnection(peer string, screen bool, role string) (*connection, error) {
	pc, err := me.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	entry := &connection{Peer: peer, Screen: screen, Role: role, FirstMediaMilliseconds: -1, Tracks: []*trackStats{},
		pc: pc, created: time.Now()}
	pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
		log.Printf("%s: connection %s", peer, state)
		// Disconnected can pass (consent freshness is lost for a moment under load); failed does not.
		if state == webrtc.PeerConnectionStateFailed {
			_ = pc.Close() // gone: its readers end and close the files
		}
	})
	pc.OnTrack(func(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
		me.readers.Add(1)
		defer me.readers.Done()
		me.record(entry, track, receiver)
	})

	me.mu.Lock()
	entry.index = len(me.all)
	key := connectionKey(peer, screen)
	old := me.connections[key]
	me.connections[key] = entry
	me.all = append(me.all, entry)
	me.mu.Unlock()
	if old != nil {
		log.Printf("%s: a new connection replaces the old one", peer)
		_ = old.pc.Close()
	}
	return entry, nil
}

// record writes one remote track to its file until the track ends, counting packets and sequence gaps.
func (me *recorder) record(entry *connection, track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	codec := track.Codec()
	stats := &trackStats{Kind: track.Kind().String(), Codec: codec.MimeType}
	base := fmt.Sprintf("%03d-%s", entry.index, safeFileName(entry.Peer))
	if entry.Screen {
		base += "-screen"
	}
	type writer interface {
		WriteRTP(*rtp.Packet) error
		Close() error
	}
	var out writer
	var err error
	switch {
	case strings.EqualFold(codec.MimeType, webrtc.MimeTypeVP8):
		stats.File = filepath.Join(me.output, base+".ivf")
		out, err = ivfwriter.New(stats.File)
	case strings.EqualFold(codec.MimeType, webrtc.MimeTypeOpus):
		stats.File = filepath.Join(me.output, base+".ogg")
		out, err = oggwriter.New(stats.File, 48000, 2)
	default:
		err = fmt.Errorf("codec %s is not recorded", codec.MimeType)
	}
	if err != nil {
		me.fail("%s: %s track: %v", entry.Peer, stats.Kind, err)
		return
	}
	defer out.Close()
	me.mu.Lock()
	entry.Tracks = append(entry.Tracks, stats)
	me.mu.Unlock()
	log.Printf("%s: track %s %s -> %s", entry.Peer, stats.Kind, codec.MimeType, stats.File)
	if track.Kind() == webrtc.RTPCodecTypeVideo {
		// A keyframe to start the file on (the IVF writer drops everything before one).
		_ = entry.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}})
	}
	var expected uint16
	started := false
	for {
		packet, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		entry.gotMedia.Do(func() {
			milliseconds := time.Since(entry.created).Milliseconds()
			me.mu.Lock()
			entry.FirstMediaMilliseconds = milliseconds
			me.mu.Unlock()
			log.Printf("%s: first media packet %d ms after the connection began", entry.Peer, milliseconds)
		})
		stats.PacketsReceived.Add(1)
		// A jump forward by less than half the sequence space is a gap; anything else is a late or
		// repeated packet and leaves the count alone.
		if started {
			if gap := packet.SequenceNumber - expected; gap != 0 && gap < 0x8000 {
				stats.PacketsLost.Add(int64(gap))
			}
			if packet.SequenceNumber-expected < 0x8000 {
				expected = packet.SequenceNumber + 1
			}
		} else {
			started = true
			expected = packet.SequenceNumber + 1
		}
		if err := out.WriteRTP(packet); err != nil {
			stats.WriteErrors.Add(1)
		}
	}
}

// safeFileName keeps letters, digits, '-' and '_' of a participant's free-text name.
func safeFileName(name string) string {
	var kept strings.Builder
	for _, c := range name {
		if kept.Len() >= 40 {
			break
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			kept.WriteRune(c)
		} else {
			kept.WriteRune('_')
		}
	}
	if kept.Len() == 0 {
		return "unnamed"
	}
	return kept.String()
}

func (me *recorder) offer(peer string, screen bool, channelName interface{}) {
	entry, err := me.newConnection(peer, screen, "offerer")
	if err != nil {
		me.fail("connection to %q: %v", peer, err)
		return
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := entry.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			me.fail("transceiver to %q: %v", peer, err)
			return
		}
	}
	if _, err := entry.pc.CreateDataChannel("channel", nil); err != nil {
		me.fail("data channel to %q: %v", peer, err)
		return
	}
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
	<-gathered
	me.send("new-offer", map[string]interface{}{
		"sdp": entry.pc.LocalDescription(), "receiver_channel_name": channelName,
		"local_screen_sharing": false, "remote_screen_sharing": screen})
}

func (me *recorder) answer(peer string, screen bool, offer webrtc.SessionDescription, channelName interface{}) {
	entry, err := me.newConnection(peer, screen, "answerer")
	if err != nil {
		me.fail("connection to %q: %v", peer, err)
		return
	}
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
	// The flags swapped: the offer's sender shares (or not) its screen on this connection.
	me.send("new-answer", map[string]interface{}{
		"sdp": entry.pc.LocalDescription(), "receiver_channel_name": channelName,
		"local_screen_sharing": false, "remote_screen_sharing": screen})
}

// writeStats writes the counts whole to a temporary file, then renames it: a reader never sees half a file.
func (me *recorder) writeStats() {
	me.statsMu.Lock()
	defer me.statsMu.Unlock()
	me.mu.Lock()
	var packets, lost int64
	for _, entry := range me.all {
		for _, track := range entry.Tracks {
			packets += track.PacketsReceived.Load()
			lost += track.PacketsLost.Load()
		}
	}
	data, err := json.MarshalIndent(map[string]interface{}{
		"implementation": "pion/webrtc v3 reference recorder (IVF + Ogg)", "name": me.name,
		"packetsReceived": packets, "packetsLost": lost, "connections": me.all, "errors": me.errors,
	}, "", "  ")
	me.mu.Unlock()
	if err != nil {
		log.Printf("stats: %v", err)
		return
	}
	temporary := me.stats + ".tmp"
	if err := os.WriteFile(temporary, data, 0o644); err != nil {
		log.Printf("stats: %v", err)
		return
	}
	if err := os.Rename(temporary, me.stats); err != nil {
		log.Printf("stats: %v", err)
	}
}

// leave closes every connection (Pion sends its DTLS close_notify), waits for the track readers to
// close their files, and writes the final counts.
func (me *recorder) leave() {
	me.mu.Lock()
	open := make([]*connection, 0, len(me.connections))
	for _, entry := range me.connections {
		open = append(open, entry)
	}
	me.mu.Unlock()
	var closing sync.WaitGroup
	for _, entry := range open {
		closing.Add(1)
		go func(pc *webrtc.PeerConnection) {
			defer closing.Done()
			_ = pc.Close()
		}(entry.pc)
	}
	closing.Wait()
	done := make(chan struct{})
	go func() { me.readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		me.fail("track readers still running 5 s after closing")
	}
	me.writeStats()
	_ = me.socket.Close()
}
