#!/usr/bin/env python3
"""A room participant made with aiortc: a second, independent WebRTC implementation for the
interop tests, speaking the room protocol of PROTOCOL.md like the browser page does.

It answers offers (adding its tracks first), offers to every later `new-peer` (audio, video and
the data channel `channel`), receives screen shares, sends a synthetic 320x240 15 fps video
(a moving test pattern) and a 440 Hz tone, and chats as "NAME: TEXT". It never shares a screen.

    python3 aiortc_peer.py --ws ws://127.0.0.1:PORT/ --name carol --seconds 20 \
        --chat '5:hello' --result carol.json

Used by run_meeting.py as `--participant aiortc:carol@2`: then it runs until SIGINT and reads
further commands (JSON lines such as {"action": "chat", "text": "hi"}) from --control.
What it saw is written to --result (every 2 s and at exit), in the shape of a browser's entry
in result.json: peers, chatLog, stats, remoteVideoSizes, logs.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import math
import re
import signal
import sys
import threading
import time
from pathlib import Path

import aioice.ice
import numpy as np
from aiortc import (MediaStreamTrack, RTCPeerConnection, RTCSessionDescription,
                    VideoStreamTrack)
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

CAMERA, THEIR_SCREEN, MY_SCREEN = "camera", "their-screen", "my-screen"


def _loopback_too(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """aioice leaves out 127.0.0.1; in a loopback-only namespace that is the only address."""
    import ifaddr
    addresses = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and use_ipv4:
                addresses.append(ip.ip)
    return addresses or (["127.0.0.1"] if use_ipv4 else [])


aioice.ice.get_host_addresses = _loopback_too


# ------------------------------------------------------------------ synthetic media

class PatternVideo(VideoStreamTrack):
    """320x240 at 15 fps: colour bars that scroll, so every frame differs."""

    def __init__(self, width=320, height=240, fps=15):
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.count = 0
        x = np.arange(width)
        bars = np.stack([(x * 3) % 256, (x * 5 + 85) % 256, (x * 7 + 170) % 256], axis=-1)
        self.base = np.repeat(bars[np.newaxis, :, :], height, axis=0).astype(np.uint8)

    async def recv(self):
        # Own pacing at self.fps (VideoStreamTrack.next_timestamp assumes 30 fps).
        if not hasattr(self, "_start"):
            self._start = time.time()
        target = self._start + self.count / self.fps
        delay = target - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        image = np.roll(self.base, self.count * 4, axis=1)
        frame = VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts = int(self.count * 90000 / self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self.count += 1
        return frame


class ToneAudio(MediaStreamTrack):
    """A 440 Hz tone, 20 ms frames of 48 kHz mono s16."""

    kind = "audio"
    RATE, SAMPLES = 48000, 960

    def __init__(self):
        super().__init__()
        self.sent = 0
        self._start = None

    async def recv(self):
        if self._start is None:
            self._start = time.time()
        target = self._start + self.sent / self.RATE
        delay = target - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        t = (np.arange(self.SAMPLES) + self.sent) / self.RATE
        samples = (np.sin(2 * math.pi * 440 * t) * 8000).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.RATE
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, self.RATE)
        self.sent += self.SAMPLES
        return frame


class FlashBeepClock:
    """The instants a flash-and-beep participant marks: every 2 s from its start, both tracks alike.
    On the wall clock (`wall_clock`), every even second of the time of day instead: participants in
    separate processes then mark the same instants, and their tracks start in step with those instants."""

    PERIOD, LENGTH = 2.0, 0.1

    def __init__(self, wall_clock: bool = False):
        now = time.time()
        self.start = math.floor(now / self.PERIOD) * self.PERIOD if wall_clock else now
        # Seconds of media already behind us at creation: the tracks start there instead of bursting to catch up.
        self.skipped = now - self.start

    def marked(self, seconds: float) -> bool:
        return seconds >= self.PERIOD and (seconds % self.PERIOD) < self.LENGTH - 1e-9


class FlashVideo(VideoStreamTrack):
    """320x240 at 15 fps, black with a white flash of 100 ms at each marked instant."""

    def __init__(self, clock: FlashBeepClock, fps=15):
        super().__init__()
        self.clock, self.fps = clock, fps
        self.count = math.ceil(clock.skipped * fps)
        self.black = np.zeros((240, 320, 3), dtype=np.uint8)
        self.white = np.full((240, 320, 3), 255, dtype=np.uint8)

    async def recv(self):
        seconds = self.count / self.fps
        delay = self.clock.start + seconds - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = VideoFrame.from_ndarray(self.white if self.clock.marked(seconds) else self.black, format="rgb24")
        frame.pts = int(self.count * 90000 / self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self.count += 1
        return frame


class BeepAudio(MediaStreamTrack):
    """Silence with a 1 kHz beep of 100 ms at each marked instant; 20 ms frames of 48 kHz mono."""

    kind = "audio"
    RATE, SAMPLES = 48000, 960

    def __init__(self, clock: FlashBeepClock):
        super().__init__()
        self.clock = clock
        self.sent = math.ceil(clock.skipped * self.RATE / self.SAMPLES) * self.SAMPLES

    async def recv(self):
        delay = self.clock.start + self.sent / self.RATE - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        t = (np.arange(self.SAMPLES) + self.sent) / self.RATE
        on = np.array([self.clock.marked(x) for x in t])
        samples = (np.sin(2 * math.pi * 1000 * t) * 12000 * on).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.RATE
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, self.RATE)
        self.sent += self.SAMPLES
        return frame


def delay_video_on_the_wire(milliseconds: float, video_ssrcs: set[int]) -> None:
    """Holds our video RTP back by `milliseconds` after the sender has stamped it (and recorded it for
    its sender reports) and before SRTP: a network path slower for video than for audio."""
    from aiortc.rtcdtlstransport import RTCDtlsTransport
    original = RTCDtlsTransport._send_rtp

    async def send_rtp(self, data: bytes) -> None:
        is_rtcp = len(data) >= 2 and 192 <= data[1] <= 223
        ssrc = int.from_bytes(data[8:12], "big") if len(data) >= 12 else None
        if not is_rtcp and ssrc in video_ssrcs:
            loop = asyncio.get_running_loop()
            loop.call_later(milliseconds / 1000, lambda: asyncio.ensure_future(original(self, data)))
            return
        await original(self, data)

    RTCDtlsTransport._send_rtp = send_rtp


# ------------------------------------------------------------------ signalling over websocket-client

class Signalling:
    """websocket-client in a reader thread, frames handed to the asyncio loop."""

    def __init__(self, url: str, loop: asyncio.AbstractEventLoop, on_frame):
        import websocket
        self.ws = websocket.create_connection(url, timeout=10)
        self.ws.settimeout(None)
        self.loop = loop
        self.on_frame = on_frame
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                text = self.ws.recv()
            except Exception:  # noqa: BLE001 - closed
                break
            if not text:
                break
            self.loop.call_soon_threadsafe(self.on_frame, text)
        self.closed = True

    async def send(self, frame: dict):
        text = json.dumps(frame)
        await self.loop.run_in_executor(None, self.ws.send, text)

    def close(self):
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001
            pass


# ------------------------------------------------------------------ the participant

class Entry:
    def __init__(self, kind, peer, role, pc):
        self.kind, self.peer, self.role, self.pc = kind, peer, role, pc
        self.key = f"{kind}|{peer}"
        self.dc = None
        self.registered = role == "offerer"
        self.remote_tracks: list[str] = []
        self.video = {"frames": 0, "width": 0, "height": 0}
        self.audio_frames = 0
        self.closed = False
        self.tasks: list[asyncio.Task] = []


class Participant:
    def __init__(self, name: str, ws_url: str, result: Path | None, video: bool = True,
                 wrong_fingerprint: bool = False, flash_beep: bool = False, wall_clock: bool = False):
        self.name = name
        # Media with marked instants (a flash and a beep together) for lip-sync measurements.
        self.flash_beep = flash_beep
        self.wall_clock = wall_clock
        self.video_ssrcs: set[int] = set()
        # Faults for `engage-bot check`'s tests: a camera that sends no video, a DTLS fingerprint
        # in our descriptions that is not our certificate's.
        self.video = video
        self.wrong_fingerprint = wrong_fingerprint
        self.ws_url = ws_url
        self.result = result
        self.entries: dict[str, Entry] = {}
        self.pending: list[Entry] = []
        self.chat: list[dict] = []
        self.logs: list[str] = []
        self.t0 = time.monotonic()
        self.signalling: Signalling | None = None

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def log(self, *parts):
        line = " ".join(str(p) for p in parts)
        self.logs.append(f"{self.now():.3f} {line}")
        print(f"{self.now():8.3f} {line}", file=sys.stderr, flush=True)

    # -- signalling
    async def join(self):
        loop = asyncio.get_running_loop()
        self.signalling = await loop.run_in_executor(
            None, lambda: Signalling(self.ws_url, loop, self.on_text))
        self.log("websocket open", self.ws_url)
        await self.send("new-peer", {"local_screen_sharing": False})

    async def send(self, action: str, message: dict):
        self.log("send", action, {k: v for k, v in message.items() if k.endswith("sharing")})
        await self.signalling.send({"peer": self.name, "action": action, "message": message})

    def on_text(self, text: str):
        try:
            frame = json.loads(text)
            peer, action, message = frame["peer"], frame["action"], frame["message"]
        except (ValueError, KeyError, TypeError):
            self.log("bad frame", text[:200])
            return
        if peer == self.name:
            return
        asyncio.ensure_future(self.on_frame(peer, action, message))

    async def on_frame(self, peer, action, message):
        channel = message.get("receiver_channel_name")
        sender_sharing = message.get("local_screen_sharing") is True
        sender_thinks_we_share = message.get("remote_screen_sharing") is True
        self.log("recv", action, "from", peer)
        try:
            if action == "new-peer":
                await self.offer(peer, sender_sharing, channel)
            elif action == "new-offer":
                if sender_thinks_we_share:
                    self.log("offer for a screen we do not share; ignored")
                    return
                await self.answer(peer, message["sdp"], sender_sharing, channel)
            elif action == "new-answer":
                kind = THEIR_SCREEN if sender_sharing else (MY_SCREEN if sender_thinks_we_share else CAMERA)
                entry = self.entries.get(f"{kind}|{peer}")
                if entry is None or entry.role != "offerer":
                    self.log("answer without a pending offer", kind, peer)
                    return
                sdp = message["sdp"]
                await entry.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp["sdp"], type=sdp["type"]))
                self.log("answer applied", entry.key)
        except Exception as error:  # noqa: BLE001
            self.log("error handling", action, "from", peer, repr(error))

    # -- connections
    def new_connection(self, kind, peer, role) -> Entry:
        pc = RTCPeerConnection()
        entry = Entry(kind, peer, role, pc)
        # Own sources per connection: aiortc's encoders run in threads, and two of them
        # encoding one shared frame object (MediaRelay) crashed libvpx here.
        if self.flash_beep:
            clock = FlashBeepClock(self.wall_clock)
            pc.addTrack(BeepAudio(clock))
            if self.video:
                self.video_ssrcs.add(pc.addTrack(FlashVideo(clock))._ssrc)
        else:
            pc.addTrack(ToneAudio())
            if self.video:
                self.video_ssrcs.add(pc.addTrack(PatternVideo())._ssrc)

        @pc.on("track")
        def on_track(track):
            entry.remote_tracks.append(track.kind)
            self.log("track", entry.key, track.kind)
            entry.tasks.append(asyncio.ensure_future(self.consume(entry, track)))

        @pc.on("iceconnectionstatechange")
        async def on_ice():
            state = pc.iceConnectionState
            self.log("ice", entry.key, state)
            if state in ("failed", "disconnected", "closed"):
                await self.close_entry(entry, f"ice {state}")

        @pc.on("connectionstatechange")
        async def on_connection():
            self.log("connection", entry.key, pc.connectionState)
            if pc.connectionState in ("failed", "closed"):
                await self.close_entry(entry, f"connection {pc.connectionState}")

        return entry

    def attach_channel(self, entry: Entry, dc):
        entry.dc = dc

        @dc.on("open")
        def on_open():
            self.log("datachannel open", entry.key)

        @dc.on("message")
        def on_message(data):
            text = data if isinstance(data, str) else "[binary]"
            if entry.kind == CAMERA:
                self.chat.append({"t": self.now(), "direction": "in", "text": text, "via": entry.peer})
            else:
                self.log("message over screen connection", entry.key, text)

    def register(self, entry: Entry):
        old = self.entries.get(entry.key)
        if old is not None and old is not entry:
            asyncio.ensure_future(self.close_entry(old, "replaced"))
        self.entries[entry.key] = entry

    async def offer(self, peer, remote_sharing, channel):
        kind = THEIR_SCREEN if remote_sharing else CAMERA
        entry = self.new_connection(kind, peer, "offerer")
        self.attach_channel(entry, entry.pc.createDataChannel("channel"))
        self.register(entry)
        await entry.pc.setLocalDescription(await entry.pc.createOffer())  # gathers completely
        if entry.closed:
            return
        desc = entry.pc.localDescription
        await self.send("new-offer", {"sdp": {"type": desc.type, "sdp": self.outgoing_sdp(desc.sdp)},
                                      "receiver_channel_name": channel,
                                      "local_screen_sharing": False,
                                      "remote_screen_sharing": remote_sharing})

    async def answer(self, peer, sdp, offerer_sharing, channel):
        kind = THEIR_SCREEN if offerer_sharing else CAMERA
        entry = self.new_connection(kind, peer, "answerer")  # tracks before the offer
        self.pending.append(entry)

        @entry.pc.on("datachannel")
        def on_datachannel(dc):
            self.log("datachannel", entry.key, dc.label)
            self.attach_channel(entry, dc)
            entry.registered = True
            if not entry.closed:
                self.register(entry)

        await entry.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp["sdp"], type=sdp["type"]))
        await entry.pc.setLocalDescription(await entry.pc.createAnswer())
        if entry.closed:
            return
        desc = entry.pc.localDescription
        await self.send("new-answer", {"sdp": {"type": desc.type, "sdp": self.outgoing_sdp(desc.sdp)},
                                       "receiver_channel_name": channel,
                                       "local_screen_sharing": False,
                                       "remote_screen_sharing": offerer_sharing})

    def outgoing_sdp(self, sdp: str) -> str:
        """With --wrong-fingerprint: every fingerprint line (aiortc may give several algorithms)
        replaced by a sha-256 one of no certificate."""
        if not self.wrong_fingerprint:
            return sdp
        fake = ":".join(["AB"] * 32)
        return re.sub(r"^a=fingerprint:\S+ .*$", f"a=fingerprint:sha-256 {fake}\r", sdp, flags=re.M)

    async def consume(self, entry: Entry, track):
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if track.kind == "video":
                entry.video["frames"] += 1
                entry.video["width"], entry.video["height"] = frame.width, frame.height
            else:
                entry.audio_frames += 1

    async def close_entry(self, entry: Entry, why: str):
        if entry.closed:
            return
        entry.closed = True
        if self.entries.get(entry.key) is entry:
            del self.entries[entry.key]
        self.log("removed", entry.key, why)
        await entry.pc.close()

    # -- chat
    def send_chat(self, text: str) -> list[str]:
        line = f"{self.name}: {text}"
        sent = []
        for entry in self.entries.values():
            if entry.registered and entry.kind != MY_SCREEN and entry.dc and entry.dc.readyState == "open":
                entry.dc.send(line)
                sent.append(entry.key)
        self.chat.append({"t": self.now(), "direction": "out", "text": text, "via": None})
        self.log("chat sent to", sent)
        return sent

    # -- what tests read
    def live_entries(self) -> list[Entry]:
        seen = list(self.entries.values())
        seen += [e for e in self.pending if not e.closed and e not in seen]
        return seen

    async def snapshot(self) -> dict:
        peers, stats, sizes = [], [], []
        for e in self.live_entries():
            peers.append({"key": e.key, "name": e.peer, "kind": e.kind, "role": e.role,
                          "registered": e.registered,
                          "iceConnectionState": e.pc.iceConnectionState,
                          "connectionState": e.pc.connectionState,
                          "iceGatheringState": e.pc.iceGatheringState,
                          "signalingState": e.pc.signalingState,
                          "dataChannel": e.dc.readyState if e.dc else None,
                          "remoteTracks": list(e.remote_tracks)})
            if "video" in e.remote_tracks:
                sizes.append({"name": e.peer, "kind": e.kind, "videoWidth": e.video["width"],
                              "videoHeight": e.video["height"], "frames": e.video["frames"]})
            try:
                stats.append(dict(key=e.key, name=e.peer, kind=e.kind, role=e.role,
                                  connectionState=e.pc.connectionState,
                                  **summarize(await e.pc.getStats())))
            except Exception as error:  # noqa: BLE001
                stats.append({"key": e.key, "error": repr(error)})
        return {"implementation": "aiortc", "peers": peers, "chatLog": list(self.chat),
                "stats": stats, "remoteVideoSizes": sizes, "logs": list(self.logs), "errors": []}

    async def write_result(self, snapshot_id=None):
        if self.result is None:
            return
        data = await self.snapshot()
        data["snapshotId"] = snapshot_id
        tmp = self.result.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str))
        tmp.replace(self.result)

    async def leave(self):
        for entry in list(self.entries.values()) + self.pending:
            await self.close_entry(entry, "left")
        if self.signalling:
            self.signalling.close()


def summarize(report) -> dict:
    out = {"outbound": {}, "remoteInbound": {}, "inbound": {}, "candidatePair": None, "transport": None}
    fields = {
        "outbound-rtp": ("outbound", ["ssrc", "packetsSent", "bytesSent"]),
        "remote-inbound-rtp": ("remoteInbound", ["ssrc", "packetsLost", "roundTripTime",
                                                 "fractionLost", "jitter"]),
        "inbound-rtp": ("inbound", ["ssrc", "packetsReceived", "bytesReceived", "packetsLost", "jitter"]),
    }
    for stat in report.values():
        if stat.type in fields:
            bucket, keys = fields[stat.type]
            out[bucket][stat.kind] = {k: getattr(stat, k) for k in keys if hasattr(stat, k)}
        elif stat.type == "transport":
            out["transport"] = {k: getattr(stat, k) for k in ("packetsSent", "packetsReceived",
                                                              "bytesSent", "bytesReceived",
                                                              "iceRole", "dtlsState") if hasattr(stat, k)}
    return out


# ------------------------------------------------------------------ main

async def main(args) -> int:
    me = Participant(args.name, args.ws, args.result, video=not args.no_video,
                     wrong_fingerprint=args.wrong_fingerprint, flash_beep=args.flash_beep,
                     wall_clock=args.wall_clock)
    if args.delay_video_ms:
        delay_video_on_the_wire(args.delay_video_ms, me.video_ssrcs)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await me.join()

    chats = sorted((float(t), text) for t, _, text in (c.partition(":") for c in args.chat))
    control_offset = 0
    deadline = time.monotonic() + args.seconds if args.seconds else None
    next_write = 0.0
    frozen = False
    try:
        while not stop.is_set():
            if deadline and time.monotonic() >= deadline:
                break
            while chats and me.now() >= chats[0][0]:
                me.send_chat(chats.pop(0)[1])
            if args.control and args.control.exists():
                data = args.control.read_bytes()
                lines = data[control_offset:].split(b"\n")
                for line in lines[:-1]:
                    control_offset += len(line) + 1
                    command = json.loads(line)
                    if command.get("action") == "chat":
                        me.send_chat(command.get("text", ""))
                    elif command.get("action") == "final-snapshot":
                        # The runner collects everyone before anyone leaves: write now, keep it.
                        await me.write_result(snapshot_id=command.get("id"))
                        frozen = True
                    else:
                        me.log("unsupported command", command)
            if me.now() >= next_write and not frozen:
                await me.write_result()
                next_write = me.now() + 2.0
            try:
                await asyncio.wait_for(stop.wait(), 0.1)
            except asyncio.TimeoutError:
                pass
        if not frozen:
            await me.write_result()
    finally:
        await me.leave()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ws", required=True, help="room WebSocket URL, e.g. ws://127.0.0.1:PORT/")
    parser.add_argument("--name", required=True)
    parser.add_argument("--seconds", type=float, default=0, help="leave after this long (default: at SIGINT)")
    parser.add_argument("--chat", action="append", default=[], metavar="T:TEXT",
                        help="send TEXT at T s after joining; repeatable")
    parser.add_argument("--control", type=Path, help="file of JSON-line commands to follow")
    parser.add_argument("--result", type=Path, help="where to write what it saw (JSON)")
    parser.add_argument("--no-video", action="store_true", help="send audio only (no camera track)")
    parser.add_argument("--flash-beep", action="store_true",
                        help="send black video flashing white and silence beeping, together every 2 s")
    parser.add_argument("--wall-clock", action="store_true",
                        help="with --flash-beep: mark every even second of the time of day, so that participants "
                             "in separate processes flash and beep at the same instants")
    parser.add_argument("--delay-video-ms", type=float, default=0,
                        help="hold our video RTP back this long before SRTP (a slower video path)")
    parser.add_argument("--wrong-fingerprint", action="store_true",
                        help="put a DTLS fingerprint that is not our certificate's into our descriptions")
    sys.exit(asyncio.run(main(parser.parse_args())))
