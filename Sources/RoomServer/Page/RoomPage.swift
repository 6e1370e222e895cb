import NIOHTTP1

/// The room page, embedded as literals so the executable needs no resource bundle.
enum RoomPage {
    static let scriptPath = "/_engage/room.js"
    static let stylePath = "/_engage/room.css"

    struct Response {
        var status: HTTPResponseStatus
        var contentType: String
        var body: String
    }

    /// The script and style are separate files so the policy can forbid inline code.
    static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; media-src 'self' blob: mediastream:; "
        + "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    static func response(method: HTTPMethod, uri: String) -> Response {
        guard method == .GET || method == .HEAD else {
            return Response(status: .methodNotAllowed, contentType: "text/plain; charset=utf-8",
                            body: "method not allowed\n")
        }
        let path = uri.prefix { $0 != "?" && $0 != "#" }
        switch path {
        case scriptPath:
            return Response(status: .ok, contentType: "text/javascript; charset=utf-8", body: script)
        case stylePath:
            return Response(status: .ok, contentType: "text/css; charset=utf-8", body: style)
        case "/favicon.ico":
            // No icon, but no error in the browser's console either.
            return Response(status: .noContent, contentType: "image/x-icon", body: "")
        default:
            // Any other path is a room: the page opens a WebSocket on its own path.
            return Response(status: .ok, contentType: "text/html; charset=utf-8", body: html)
        }
    }

    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Room</title>
    <link rel="stylesheet" href="/_engage/room.css">
    </head>
    <body>
    <header>
      <h1 id="room-title">Room</h1>
      <span id="me"></span>
      <button id="share" type="button">Share screen</button>
      <span id="status" role="status">connecting…</span>
    </header>
    <main>
      <section id="tiles" aria-label="Participants"></section>
      <aside id="chat" aria-label="Chat">
        <ul id="messages" aria-live="polite"></ul>
        <form id="chat-form">
          <input id="chat-input" autocomplete="off" maxlength="2000" placeholder="Message" aria-label="Message">
          <button type="submit">Send</button>
        </form>
      </aside>
    </main>
    <script src="/_engage/room.js"></script>
    </body>
    </html>

    """#

    static let style = #"""
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px system-ui, sans-serif; background: #15171a; color: #e8e8e8;
           display: flex; flex-direction: column; height: 100vh; }
    header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #202328; }
    header h1 { font-size: 1.1em; margin: 0; }
    #status { margin-left: auto; opacity: .75; }
    main { flex: 1; display: flex; min-height: 0; }
    #tiles { flex: 1; display: grid; gap: .5em; padding: .5em; overflow: auto;
             grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); align-content: start; }
    figure { margin: 0; position: relative; background: #000; border-radius: 6px; overflow: hidden; }
    figure video { width: 100%; aspect-ratio: 16 / 9; display: block; object-fit: contain; }
    figcaption { position: absolute; left: 0; bottom: 0; padding: .2em .5em; background: rgba(0, 0, 0, .6);
                 max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    #chat { width: 300px; display: flex; flex-direction: column; border-left: 1px solid #333; }
    #messages { flex: 1; list-style: none; margin: 0; padding: .5em; overflow-y: auto; overflow-wrap: anywhere; }
    #messages li { margin-bottom: .3em; }
    #chat-form { display: flex; gap: .3em; padding: .5em; }
    #chat-input { flex: 1; }
    button, input { font: inherit; }

    """#

    static let script = #"""
    'use strict';
    // One browser of the room (PROTOCOL.md): full mesh, non-trickle ICE, chat on data channels named "channel".
    (() => {
      const params = new URLSearchParams(location.search);
      const myName = (params.get('name') || prompt('Your name') || '').trim() ||
        'guest-' + Math.random().toString(16).slice(2, 6);
      const $ = (id) => document.getElementById(id);
      $('me').textContent = myName;
      $('room-title').textContent = 'Room ' + decodeURIComponent(location.pathname);
      const setStatus = (text) => { $('status').textContent = text; };

      // Connections by the remote's channel and kind: 'camera', 'their-screen' (they share to us),
      // 'my-screen' (we share to them).
      const connections = new Map();
      const keyOf = (channel, kind) => channel + '\u0000' + kind;
      let cameraStream = new MediaStream();
      let screenStream = null;
      let ws;

      function send(peer, action, message) {
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ peer, action, message }));
      }

      // The kind of a connection from our side, given the flags as its sender wrote them.
      function kindFromFlags(local, remote) {
        if (local) return 'their-screen';
        if (remote) return 'my-screen';
        return 'camera';
      }

      function addTile(key, label) {
        const figure = document.createElement('figure');
        const video = document.createElement('video');
        video.autoplay = true;
        video.playsInline = true;
        const caption = document.createElement('figcaption');
        caption.textContent = label;
        figure.append(video, caption);
        $('tiles').append(figure);
        return { figure, video };
      }

      function chatLine(text) {
        const item = document.createElement('li');
        item.textContent = text;
        $('messages').append(item);
        $('messages').scrollTop = $('messages').scrollHeight;
      }

      function wireChannel(entry, channel) {
        entry.channel = channel;
        channel.onmessage = (event) => { if (typeof event.data === 'string') chatLine(event.data); };
      }

      function remove(key, why) {
        const entry = connections.get(key);
        if (!entry) return;
        console.info(new Date().toISOString(), 'connection', entry.kind, 'with', entry.peer, 'closed:', why);
        connections.delete(key);
        entry.pc.close();
        if (entry.tile) entry.tile.figure.remove();
      }

      function createConnection(peer, channel, kind) {
        const key = keyOf(channel, kind);
        remove(key, 'replaced by a new connection');
        const pc = new RTCPeerConnection({ iceServers: [] });
        const entry = { pc, peer, kind, channel: null, tile: null };
        connections.set(key, entry);
        if (kind !== 'my-screen') {
          entry.tile = addTile(key, kind === 'camera' ? peer : peer + ' (screen)');
          const stream = new MediaStream();
          entry.tile.video.srcObject = stream;
          pc.ontrack = (event) => {
            stream.addTrack(event.track);
            entry.tile.video.play().catch(() => {});
          };
        }
        // A DTLS close from the far end shows up as a connection state before ICE notices anything.
        const gone = () => {
          if (connections.get(key) !== entry) return;
          if (['disconnected', 'failed', 'closed'].includes(pc.iceConnectionState) ||
              ['failed', 'closed'].includes(pc.connectionState)) {
            remove(key, 'ICE ' + pc.iceConnectionState + ', connection ' + pc.connectionState);
          }
        };
        pc.oniceconnectionstatechange = gone;
        pc.onconnectionstatechange = gone;
        // Chat rides the camera connection only, so each line reaches each peer once.
        pc.ondatachannel = (event) => {
          if (event.channel.label === 'channel' && kind === 'camera') wireChannel(entry, event.channel);
        };
        return entry;
      }

      function addOwnTracks(entry) {
        if (entry.kind === 'camera') {
          for (const track of cameraStream.getTracks()) entry.pc.addTrack(track, cameraStream);
        } else if (entry.kind === 'my-screen' && screenStream) {
          for (const track of screenStream.getTracks()) entry.pc.addTrack(track, screenStream);
        }
      }

      // Candidates travel only inside the SDP, so each description waits for gathering to finish.
      function gatheringComplete(pc) {
        return new Promise((resolve) => {
          if (pc.iceGatheringState === 'complete') return resolve();
          const check = () => {
            if (pc.iceGatheringState !== 'complete') return;
            pc.removeEventListener('icegatheringstatechange', check);
            resolve();
          };
          pc.addEventListener('icegatheringstatechange', check);
          setTimeout(resolve, 5000);
        });
      }

      async function offer(peer, channel, local, remote) {
        const entry = createConnection(peer, channel, kindFromFlags(remote, local));
        addOwnTracks(entry);
        if (entry.kind === 'their-screen') {
          entry.pc.addTransceiver('video', { direction: 'recvonly' });
          entry.pc.addTransceiver('audio', { direction: 'recvonly' });
        }
        if (entry.kind === 'camera') wireChannel(entry, entry.pc.createDataChannel('channel'));
        await entry.pc.setLocalDescription(await entry.pc.createOffer());
        await gatheringComplete(entry.pc);
        send(myName, 'new-offer', {
          sdp: { type: 'offer', sdp: entry.pc.localDescription.sdp },
          receiver_channel_name: channel,
          local_screen_sharing: local,
          remote_screen_sharing: remote,
        });
      }

      async function answer(peer, channel, message) {
        const local = message.local_screen_sharing === true;
        const remote = message.remote_screen_sharing === true;
        const entry = createConnection(peer, channel, kindFromFlags(local, remote));
        addOwnTracks(entry);
        await entry.pc.setRemoteDescription({ type: 'offer', sdp: String(message.sdp.sdp) });
        await entry.pc.setLocalDescription(await entry.pc.createAnswer());
        await gatheringComplete(entry.pc);
        send(myName, 'new-answer', {
          sdp: { type: 'answer', sdp: entry.pc.localDescription.sdp },
          receiver_channel_name: channel,
          local_screen_sharing: remote,
          remote_screen_sharing: local,
        });
      }

      async function applyAnswer(channel, message) {
        const kind = kindFromFlags(message.local_screen_sharing === true, message.remote_screen_sharing === true);
        const entry = connections.get(keyOf(channel, kind));
        if (!entry || entry.pc.signalingState !== 'have-local-offer') return;
        await entry.pc.setRemoteDescription({ type: 'answer', sdp: String(message.sdp.sdp) });
      }

      function handle(frame) {
        if (!frame || typeof frame !== 'object') return;
        const { peer, action, message } = frame;
        if (typeof peer !== 'string' || peer === myName || !message || typeof message !== 'object') return;
        const channel = message.receiver_channel_name;
        if (typeof channel !== 'string') return;
        const failed = (error) => console.warn(action, 'from', peer, 'failed:', error);
        if (action === 'new-peer') {
          console.info(new Date().toISOString(), 'new-peer from', peer, message.local_screen_sharing === true ? '(screen)' : '(camera)');
          if (message.local_screen_sharing === true) {
            offer(peer, channel, false, true).catch(failed);
          } else {
            offer(peer, channel, false, false).catch(failed);
            if (screenStream) offer(peer, channel, true, false).catch(failed);
          }
        } else if (action === 'new-offer' && message.sdp) {
          answer(peer, channel, message).catch(failed);
        } else if (action === 'new-answer' && message.sdp) {
          applyAnswer(channel, message).catch(failed);
        }
      }

      async function toggleShare() {
        if (screenStream) return stopShare();
        try {
          screenStream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: true });
        } catch (error) {
          console.warn('screen share refused:', error);
          return;
        }
        for (const track of screenStream.getVideoTracks()) track.onended = stopShare;
        $('share').textContent = 'Stop sharing';
        send(myName, 'new-peer', { local_screen_sharing: true });
      }

      // Nothing is signalled when a share stops: its connections just close.
      function stopShare() {
        if (!screenStream) return;
        for (const track of screenStream.getTracks()) track.stop();
        screenStream = null;
        for (const [key, entry] of connections) if (entry.kind === 'my-screen') remove(key, 'share stopped');
        $('share').textContent = 'Share screen';
      }

      $('share').addEventListener('click', () => { toggleShare(); });

      $('chat-form').addEventListener('submit', (event) => {
        event.preventDefault();
        const text = $('chat-input').value.trim();
        if (!text) return;
        const line = myName + ': ' + text;
        chatLine(line);
        for (const entry of connections.values()) {
          if (entry.channel && entry.channel.readyState === 'open') entry.channel.send(line);
        }
        $('chat-input').value = '';
      });

      async function startCamera() {
        for (const constraints of [{ video: true, audio: true }, { audio: true }, { video: true }]) {
          try { return await navigator.mediaDevices.getUserMedia(constraints); } catch (error) { /* next */ }
        }
        return new MediaStream();
      }

      async function join() {
        cameraStream = await startCamera();
        const self = addTile('self', myName + ' (you)');
        self.video.muted = true;
        self.video.srcObject = cameraStream;
        const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
        ws = new WebSocket(scheme + location.host + location.pathname);
        ws.onopen = () => {
          setStatus('connected');
          send(myName, 'new-peer', { local_screen_sharing: false });
        };
        ws.onmessage = (event) => {
          let frame;
          try { frame = JSON.parse(event.data); } catch (error) { return; }
          handle(frame);
        };
        ws.onclose = (event) => setStatus('disconnected' + (event.reason ? ': ' + event.reason : ''));
      }

      join();
    })();

    """#
}
