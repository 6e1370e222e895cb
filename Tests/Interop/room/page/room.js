// A browser peer of the reference room, behaving as PROTOCOL.md describes the room's pages:
// full mesh, one RTCPeerConnection per pair (plus one per pair and direction of a screen share),
// no trickle ICE, chat over the data channels labelled "channel".
//
// Auto-join: /?name=alice (and &share=1 to share the screen right after joining).
// For tests: window.engageTest (see the bottom of this file).
'use strict';

(() => {
  const startedAt = performance.now();
  const seconds = () => Number(((performance.now() - startedAt) / 1000).toFixed(3));

  // ---- log kept in the page, so tests get it even when the driver's log is lossy ----
  const logLines = [];
  function log(...parts) {
    const text = parts.map(p => (typeof p === 'string' ? p : safeJSON(p))).join(' ');
    logLines.push(`${new Date().toISOString()} ${seconds().toFixed(3)} ${text}`);
    console.log(text);
  }
  function safeJSON(value) {
    try { return JSON.stringify(value); } catch (e) { return String(value); }
  }

  // ---- connection kinds, seen from this page ----
  // camera:       the camera/mic connection with that peer (either role)
  // their-screen: that peer shares its screen to us
  // my-screen:    we share our screen to that peer
  const CAMERA = 'camera', THEIR_SCREEN = 'their-screen', MY_SCREEN = 'my-screen';

  function kindFor(localScreenSharing, remoteScreenSharing) {
    if (localScreenSharing) return MY_SCREEN;
    if (remoteScreenSharing) return THEIR_SCREEN;
    return CAMERA;
  }

  const state = {
    name: null,
    ws: null,
    joining: null,
    localStream: null,
    displayStream: null,
    sharing: false,
    // key `${kind}|${peerName}` -> entry; an answerer's entry is "registered" only once its
    // data channel arrives, as on the original page.
    entries: new Map(),
    chat: [],
    tileCounter: 0,
  };

  const entryKey = (kind, peer) => `${kind}|${peer}`;

  // ---- signalling ----
  function wsEndpoint() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    return scheme + location.host + location.pathname;
  }

  function sendSignal(action, message) {
    const frame = { peer: state.name, action, message };
    log('send', action, 'flags', safeJSON({
      local: message.local_screen_sharing, remote: message.remote_screen_sharing }));
    state.ws.send(JSON.stringify(frame));
  }

  function onSignal(event) {
    let frame;
    try { frame = JSON.parse(event.data); } catch (e) { log('bad frame', event.data); return; }
    const { peer, action, message } = frame;
    if (peer === state.name) return; // the server echoes broadcasts to their sender
    const channel = message.receiver_channel_name;
    // The flags are always from the sender's point of view.
    const senderSharing = message.local_screen_sharing === true;
    const senderThinksWeShare = message.remote_screen_sharing === true;
    log('recv', action, 'from', peer, safeJSON({ local: message.local_screen_sharing,
      remote: message.remote_screen_sharing }));

    if (action === 'new-peer') {
      createOfferer(peer, false, senderSharing, channel);
      if (state.sharing && !senderSharing) {
        createOfferer(peer, true, false, channel);
      }
      return;
    }
    if (action === 'new-offer') {
      createAnswerer(message.sdp, peer, senderThinksWeShare, senderSharing, channel);
      return;
    }
    if (action === 'new-answer') {
      // answer local=true: the answerer's screen; answer remote=true: our own screen.
      const kind = senderSharing ? THEIR_SCREEN : (senderThinksWeShare ? MY_SCREEN : CAMERA);
      const entry = state.entries.get(entryKey(kind, peer));
      if (!entry || entry.role !== 'offerer') {
        log('answer without a pending offer', kind, peer);
        return;
      }
      entry.pc.setRemoteDescription(message.sdp)
        .then(() => log('answer applied', kind, peer))
        .catch(err => log('setRemoteDescription(answer) failed', kind, peer, String(err)));
      return;
    }
    log('ignored action', action);
  }

  // ---- peer connections ----
  function addLocalTracks(pc, localScreenSharing) {
    const stream = localScreenSharing ? state.displayStream : state.localStream;
    if (!stream) return;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
  }

  // `?codec=vp9` makes this page prefer that video codec, as a user's browser might.
  function preferCodec(pc) {
    const wanted = new URLSearchParams(location.search).get('codec');
    if (!wanted || !window.RTCRtpReceiver || !RTCRtpReceiver.getCapabilities) return;
    const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
    const mime = 'video/' + wanted.toUpperCase();
    const ordered = codecs.filter(c => c.mimeType === mime).concat(codecs.filter(c => c.mimeType !== mime));
    for (const transceiver of pc.getTransceivers()) {
      if (transceiver.receiver.track && transceiver.receiver.track.kind === 'video') {
        try { transceiver.setCodecPreferences(ordered); } catch (err) { log('codec preference failed', String(err)); }
      }
    }
  }

  function newEntry(kind, peer, role, pc) {
    const entry = {
      key: entryKey(kind, peer), kind, peer, role, pc, dc: null, video: null,
      registered: role === 'offerer', createdAt: seconds(), remoteTracks: [], closedAt: null,
    };
    return entry;
  }

  function register(entry) {
    const old = state.entries.get(entry.key);
    if (old && old !== entry) {
      log('replacing connection', entry.key);
      closeEntry(old, 'replaced');
    }
    state.entries.set(entry.key, entry);
  }

  // The original page treats disconnected/failed/closed as final: close and forget.
  function watchIce(entry) {
    entry.pc.addEventListener('iceconnectionstatechange', () => {
      const s = entry.pc.iceConnectionState;
      log('ice', entry.key, s);
      if (s === 'failed' || s === 'disconnected' || s === 'closed') {
        closeEntry(entry, `ice ${s}`);
      }
    });
    entry.pc.addEventListener('connectionstatechange', () => {
      log('connection', entry.key, entry.pc.connectionState);
    });
  }

  function closeEntry(entry, why) {
    if (entry.closedAt !== null) return;
    entry.closedAt = seconds();
    entry.closedWhy = why;
    if (state.entries.get(entry.key) === entry) state.entries.delete(entry.key);
    if (entry.pc.signalingState !== 'closed') entry.pc.close();
    removeTile(entry);
    log('removed', entry.key, why);
  }

  function attachDataChannel(entry, dc) {
    entry.dc = dc;
    dc.addEventListener('open', () => log('datachannel open', entry.key));
    dc.addEventListener('close', () => log('datachannel close', entry.key));
    dc.addEventListener('message', event => {
      const text = typeof event.data === 'string' ? event.data : '[binary]';
      if (entry.kind === CAMERA) {
        addChatLine('in', text, entry.peer);
      } else {
        log('message over screen connection', entry.key, text);
      }
    });
  }

  // Resolves once ICE gathering is complete: offers and answers carry all candidates.
  function gatheringComplete(pc) {
    return new Promise(resolve => {
      if (pc.iceGatheringState === 'complete') { resolve(); return; }
      const check = () => {
        if (pc.iceGatheringState === 'complete') {
          pc.removeEventListener('icegatheringstatechange', check);
          resolve();
        }
      };
      pc.addEventListener('icegatheringstatechange', check);
      pc.addEventListener('icecandidate', e => { if (!e.candidate) resolve(); });
    });
  }

  function createOfferer(peer, localScreenSharing, remoteScreenSharing, channel) {
    const kind = kindFor(localScreenSharing, remoteScreenSharing);
    const pc = new RTCPeerConnection();
    const entry = newEntry(kind, peer, 'offerer', pc);
    addLocalTracks(pc, localScreenSharing);
    attachDataChannel(entry, pc.createDataChannel('channel'));
    preferCodec(pc);
    if (kind !== MY_SCREEN) addTile(entry);
    watchIce(entry);
    register(entry);
    log('offering', entry.key);

    pc.createOffer()
      .then(offer => pc.setLocalDescription(offer))
      .then(() => gatheringComplete(pc))
      .then(() => {
        if (entry.closedAt !== null) return;
        sendSignal('new-offer', {
          sdp: { type: pc.localDescription.type, sdp: pc.localDescription.sdp },
          receiver_channel_name: channel,
          local_screen_sharing: localScreenSharing,
          remote_screen_sharing: remoteScreenSharing,
        });
      })
      .catch(err => log('offer failed', entry.key, String(err)));
    return entry;
  }

  // localScreenSharing/remoteScreenSharing here are from this page's point of view,
  // i.e. the offer's flags swapped.
  function createAnswerer(offer, peer, localScreenSharing, remoteScreenSharing, channel) {
    const kind = kindFor(localScreenSharing, remoteScreenSharing);
    const pc = new RTCPeerConnection();
    const entry = newEntry(kind, peer, 'answerer', pc);
    addLocalTracks(pc, localScreenSharing); // before the offer: sent even on recvonly m-lines
    if (kind !== MY_SCREEN) addTile(entry);
    watchIce(entry);
    pc.addEventListener('datachannel', event => {
      log('datachannel', entry.key, event.channel.label);
      attachDataChannel(entry, event.channel);
      entry.registered = true;
      if (entry.closedAt === null) register(entry);
    });
    state.pending = state.pending || new Set();
    state.pending.add(entry);
    log('answering', entry.key);

    pc.setRemoteDescription(offer)
      .then(() => preferCodec(pc))
      .then(() => pc.createAnswer())
      .then(answer => pc.setLocalDescription(answer))
      .then(() => gatheringComplete(pc))
      .then(() => {
        if (entry.closedAt !== null) return;
        sendSignal('new-answer', {
          sdp: { type: pc.localDescription.type, sdp: pc.localDescription.sdp },
          receiver_channel_name: channel,
          local_screen_sharing: localScreenSharing,
          remote_screen_sharing: remoteScreenSharing,
        });
      })
      .catch(err => log('answer failed', entry.key, String(err)));
    return entry;
  }

  // ---- tiles ----
  function addTile(entry) {
    const wrapper = document.createElement('div');
    wrapper.className = 'tile';
    const video = document.createElement('video');
    video.id = `remote-${++state.tileCounter}`;
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    video.setAttribute('autoplay', '');
    video.setAttribute('playsinline', '');
    video.setAttribute('muted', '');
    video.dataset.peer = entry.peer;
    video.dataset.kind = entry.kind;
    const stream = new MediaStream();
    video.srcObject = stream;
    const label = document.createElement('div');
    label.className = 'label';
    label.textContent = entry.kind === CAMERA ? entry.peer : `${entry.peer} (screen)`;
    wrapper.appendChild(video);
    wrapper.appendChild(label);
    document.getElementById('tiles').appendChild(wrapper);
    entry.video = video;
    entry.pc.addEventListener('track', event => {
      log('track', entry.key, event.track.kind);
      entry.remoteTracks.push(event.track.kind);
      stream.addTrack(event.track);
      video.play().catch(() => {});
    });
  }

  function removeTile(entry) {
    if (!entry.video) return;
    const wrapper = entry.video.parentNode;
    if (wrapper && wrapper.parentNode) wrapper.parentNode.removeChild(wrapper);
    entry.video = null;
  }

  // ---- chat ----
  function addChatLine(direction, text, via) {
    state.chat.push({ t: seconds(), direction, text, via: via || null });
    const li = document.createElement('li');
    li.textContent = direction === 'out' ? `Me: ${text}` : text;
    document.getElementById('chat-list').appendChild(li);
  }

  // As the original page: every registered connection's channel, screen ones included.
  function sendChat(text) {
    const line = `${state.name}: ${text}`;
    const sentTo = [];
    for (const entry of state.entries.values()) {
      if (!entry.registered || entry.kind === MY_SCREEN || !entry.dc) continue;
      if (entry.dc.readyState !== 'open') { log('chat: channel not open', entry.key); continue; }
      entry.dc.send(line);
      sentTo.push(entry.key);
    }
    addChatLine('out', text, null);
    log('chat sent to', safeJSON(sentTo));
    return sentTo;
  }

  // ---- joining and sharing ----
  let mediaReady = null;
  function getMedia() {
    if (!mediaReady) {
      mediaReady = navigator.mediaDevices.getUserMedia({ audio: true, video: true })
        .then(stream => {
          state.localStream = stream;
          document.getElementById('local-video').srcObject = stream;
          log('local media', safeJSON(stream.getTracks().map(t => t.kind)));
          return stream;
        });
    }
    return mediaReady;
  }

  function join(name) {
    if (state.joining) return Promise.reject(new Error('already joined'));
    state.name = name;
    document.getElementById('me').textContent = name;
    document.getElementById('join-form').style.display = 'none';
    state.joining = getMedia().then(() => new Promise((resolve, reject) => {
      const ws = new WebSocket(wsEndpoint());
      state.ws = ws;
      ws.addEventListener('open', () => {
        log('websocket open', wsEndpoint());
        sendSignal('new-peer', { local_screen_sharing: false });
        document.getElementById('btn-share').disabled = false;
        document.getElementById('chat-input').disabled = false;
        document.getElementById('btn-send').disabled = false;
        resolve();
      });
      ws.addEventListener('message', onSignal);
      ws.addEventListener('close', e => log('websocket closed', e.code));
      ws.addEventListener('error', () => { log('websocket error'); reject(new Error('websocket error')); });
    }));
    return state.joining;
  }

  function startShare() {
    if (state.sharing) return Promise.resolve(false);
    if (!state.joining) return Promise.reject(new Error('join first'));
    state.sharing = true;
    return state.joining
      .then(() => navigator.mediaDevices.getDisplayMedia({ video: true, audio: true }))
      .then(stream => {
        state.displayStream = stream;
        log('display media', safeJSON(stream.getTracks().map(t => `${t.kind}:${t.label}`)));
        document.getElementById('btn-share').textContent = 'Stop sharing';
        sendSignal('new-peer', { local_screen_sharing: true });
        return true;
      })
      .catch(err => { state.sharing = false; log('getDisplayMedia failed', String(err)); throw err; });
  }

  // Nothing is signalled: the screen connections are closed.
  function stopShare() {
    if (!state.sharing) return false;
    state.sharing = false;
    for (const entry of [...state.entries.values()]) {
      if (entry.kind === MY_SCREEN) closeEntry(entry, 'share stopped');
    }
    if (state.displayStream) state.displayStream.getTracks().forEach(t => t.stop());
    state.displayStream = null;
    document.getElementById('btn-share').textContent = 'Share screen';
    return true;
  }

  function leave() {
    for (const entry of [...state.entries.values()]) closeEntry(entry, 'left');
    for (const entry of state.pending || []) closeEntry(entry, 'left');
    if (state.ws) state.ws.close();
  }

  // ---- what tests read ----
  function allEntries() {
    const seen = new Set(state.entries.values());
    for (const entry of state.pending || []) if (entry.closedAt === null) seen.add(entry);
    return [...seen];
  }

  function peers() {
    return allEntries().map(entry => ({
      key: entry.key, name: entry.peer, kind: entry.kind, role: entry.role,
      registered: entry.registered,
      iceConnectionState: entry.pc.iceConnectionState,
      connectionState: entry.pc.connectionState,
      iceGatheringState: entry.pc.iceGatheringState,
      signalingState: entry.pc.signalingState,
      dataChannel: entry.dc ? entry.dc.readyState : null,
      remoteTracks: entry.remoteTracks.slice(),
      createdAt: entry.createdAt,
    }));
  }

  const pick = (obj, keys) => {
    const out = {};
    for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
    return out;
  };

  const OUTBOUND_KEYS = ['ssrc', 'packetsSent', 'bytesSent', 'frameWidth', 'frameHeight',
    'framesPerSecond', 'framesSent', 'framesEncoded', 'keyFramesEncoded', 'targetBitrate',
    'qualityLimitationReason', 'nackCount', 'pliCount', 'firCount', 'retransmittedPacketsSent',
    'encoderImplementation', 'active'];
  const REMOTE_INBOUND_KEYS = ['ssrc', 'packetsLost', 'roundTripTime', 'fractionLost', 'jitter',
    'roundTripTimeMeasurements', 'totalRoundTripTime'];
  const INBOUND_KEYS = ['ssrc', 'packetsReceived', 'bytesReceived', 'packetsLost', 'jitter',
    'frameWidth', 'frameHeight', 'framesDecoded', 'framesReceived', 'framesPerSecond',
    'keyFramesDecoded', 'framesDropped', 'nackCount', 'pliCount', 'firCount',
    'totalSamplesReceived', 'concealedSamples', 'audioLevel', 'decoderImplementation'];
  const CANDIDATE_KEYS = ['address', 'port', 'protocol', 'candidateType'];

  function summarizeReport(report) {
    const byId = new Map();
    report.forEach(s => byId.set(s.id, s));
    const codecOf = s => {
      const c = s.codecId ? byId.get(s.codecId) : null;
      return c ? c.mimeType : undefined;
    };
    const summary = { outbound: {}, remoteInbound: {}, inbound: {}, candidatePair: null,
      transport: null };
    const put = (bucket, kind, value) => {
      if (bucket[kind] === undefined) bucket[kind] = value;
      else if (Array.isArray(bucket[kind])) bucket[kind].push(value);
      else bucket[kind] = [bucket[kind], value];
    };
    let selectedPairId = null;
    report.forEach(s => {
      if (s.type === 'outbound-rtp') {
        put(summary.outbound, s.kind, Object.assign(pick(s, OUTBOUND_KEYS), { codec: codecOf(s) }));
      } else if (s.type === 'remote-inbound-rtp') {
        put(summary.remoteInbound, s.kind, pick(s, REMOTE_INBOUND_KEYS));
      } else if (s.type === 'inbound-rtp') {
        put(summary.inbound, s.kind, Object.assign(pick(s, INBOUND_KEYS), { codec: codecOf(s) }));
      } else if (s.type === 'transport') {
        summary.transport = pick(s, ['dtlsState', 'iceState', 'dtlsRole', 'tlsVersion',
          'srtpCipher', 'dtlsCipher', 'selectedCandidatePairChanges', 'bytesSent',
          'bytesReceived']);
        selectedPairId = s.selectedCandidatePairId || selectedPairId;
      }
    });
    let pair = selectedPairId ? byId.get(selectedPairId) : null;
    if (!pair) {
      report.forEach(s => { if (s.type === 'candidate-pair' && s.nominated) pair = pair || s; });
    }
    if (pair) {
      summary.candidatePair = Object.assign(pick(pair, ['state', 'nominated', 'bytesSent',
        'bytesReceived', 'currentRoundTripTime', 'availableOutgoingBitrate',
        'availableIncomingBitrate', 'requestsReceived', 'responsesReceived']), {
        local: pick(byId.get(pair.localCandidateId) || {}, CANDIDATE_KEYS),
        remote: pick(byId.get(pair.remoteCandidateId) || {}, CANDIDATE_KEYS),
      });
    }
    const pairStates = {};
    report.forEach(s => {
      if (s.type === 'candidate-pair') pairStates[s.state] = (pairStates[s.state] || 0) + 1;
    });
    summary.candidatePairStates = pairStates;
    return summary;
  }

  function stats() {
    return Promise.all(allEntries().map(entry => entry.pc.getStats()
      .then(report => Object.assign({
        key: entry.key, name: entry.peer, kind: entry.kind, role: entry.role,
        connectionState: entry.pc.connectionState,
        iceConnectionState: entry.pc.iceConnectionState,
      }, summarizeReport(report)))
      .catch(err => ({ key: entry.key, error: String(err) }))));
  }

  function remoteVideoSizes() {
    return [...document.querySelectorAll('#tiles video')]
      .filter(v => v.id !== 'local-video')
      .map(v => ({ id: v.id, name: v.dataset.peer, kind: v.dataset.kind,
        videoWidth: v.videoWidth, videoHeight: v.videoHeight, readyState: v.readyState,
        currentTime: v.currentTime, paused: v.paused }));
  }

  window.engageTest = {
    join, startShare, stopShare, leave, sendChat, peers, stats, remoteVideoSizes,
    chatLog: () => state.chat.slice(),
    logs: () => logLines.slice(),
    name: () => state.name,
    sharing: () => state.sharing,
  };

  // ---- buttons ----
  document.getElementById('btn-join').addEventListener('click', () => {
    const name = document.getElementById('name').value;
    if (name !== '') join(name).catch(err => log('join failed', String(err)));
  });
  document.getElementById('btn-share').addEventListener('click', () => {
    if (state.sharing) stopShare(); else startShare().catch(() => {});
  });
  const sendFromInput = () => {
    const input = document.getElementById('chat-input');
    if (input.value !== '') sendChat(input.value);
    input.value = '';
  };
  document.getElementById('btn-send').addEventListener('click', sendFromInput);
  document.getElementById('chat-input').addEventListener('keyup', e => {
    if (e.key === 'Enter') sendFromInput();
  });

  // ---- auto-join ----
  const params = new URLSearchParams(location.search);
  if (params.get('name')) {
    join(params.get('name'))
      .then(() => (params.get('share') === '1' ? startShare() : null))
      .catch(err => log('auto-join failed', String(err)));
  }
})();
