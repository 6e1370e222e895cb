#!/usr/bin/env python3
"""A hostile participant that is authenticated: an aiortc peer (aiortc_peer.py's participant) that joins
the room normally, completes ICE and DTLS with the bot, and then garbles what it sends the bot *before*
SRTP protection, so every bad packet reaches the bot's parsers with a valid authentication tag.

    python3 Tests/Interop/hostile_peer.py --ws WS_URL --name mallory --bot-name recorder \
        --seed 7 --report mallory.json

It talks only to the bot (offers and new-peers of anyone else are ignored). Once its connection to the
bot is up it sends clean media for `--clean-start` s, then runs the attack phases one after another,
each `--phase-seconds` long with `--gap-seconds` of clean media after it, then clean media until
SIGINT/SIGTERM. Each RTP phase has an RTCP phase and an SCTP phase beside it:

| RTP (its own audio/video packets, mutated on the way out) | RTCP (injected)            | SCTP                       |
| ssrc-flood: copies on thousands of new SSRCs              | rtcp-random                | many-messages              |
| vp8-descriptor: malformed VP8 payload descriptors         | rtcp-truncated             | many-channels              |
| empty-payload: header only, or all padding                | rtcp-absurd-counts         | sctp-garbage (valid checksum, bad chunks) |
| random-payload: random bytes instead of the payload       | feedback-flood (NACK, PLI, FIR, REMB) | huge-messages   |
| sequence-jump: sequence numbers jump and come back        | wild-sender-reports        |                            |
| timestamp-jump: RTP timestamps jump and come back         |                            |                            |

Mutated packets replace the clean ones (about half of them, seeded); the clean ones in between and the
gaps between phases give the bot a legitimate recording of this participant. What was sent, per class,
goes to `--report` (JSON) at exit, with the SSRCs and payload types the peer announced.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import struct
import sys
import time
from pathlib import Path

from google_crc32c import value as crc32c
from aiortc.rtcdtlstransport import RTCDtlsTransport

import aiortc_peer

# RTCP and SCTP garbage go out this many per 10 ms (up to 2,000 a second each, as fast as aiortc manages).
PACKETS_PER_TICK = 20

RTP_PHASES = ["ssrc-flood", "vp8-descriptor", "empty-payload", "random-payload", "sequence-jump", "timestamp-jump"]
RTCP_PHASES = ["rtcp-random", "rtcp-truncated", "rtcp-absurd-counts", "feedback-flood", "wild-sender-reports", None]
# Messages above the bot's maximum size come last: filling its reassembly buffer ends the association.
SCTP_PHASES = ["many-messages", "many-channels", "sctp-garbage", "huge-messages", None, None]


class Attack:
    """The state the send hook reads: which transport is the bot's, which phase runs, what was sent."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.targets: set = set()
        self.rtp_phase: str | None = None
        self.counts: dict[str, dict[str, int]] = {}
        self.phases: list[dict] = []
        self.errors: list[str] = []
        self.flood_ssrcs: set[int] = set()
        self.announced: dict[str, int] = {}
        self.payload_types: dict[str, list[int]] = {}
        self.sequence_offset = 0
        self.sequence_phase_packets = 0
        self.timestamp_offset = 0
        self.t0 = time.monotonic()
        self.max_loop_lag = 0.0

    def count(self, section: str, name: str, n: int = 1):
        self.counts.setdefault(section, {}).setdefault(name, 0)
        self.counts[section][name] += n

    def log(self, *parts):
        print(f"[mallory {time.monotonic() - self.t0:7.2f}]", *parts, file=sys.stderr, flush=True)


ATTACK: Attack | None = None
ORIGINAL_SEND_RTP = RTCDtlsTransport._send_rtp
ORIGINAL_SEND_DATA = RTCDtlsTransport._send_data


async def send_raw(transport, data: bytes, section: str, name: str) -> bool:
    """Protects and sends one RTP/RTCP packet of ours as it is; counted when it went out."""
    try:
        await ORIGINAL_SEND_RTP(transport, data)
    except Exception as error:  # noqa: BLE001 - srtp refusing a too-short packet, transport gone
        ATTACK.count("notSent", f"{name}: {type(error).__name__}")
        return False
    ATTACK.count(section, name)
    return True


def split_rtp(data: bytes) -> tuple[bytes, bytes]:
    """Header (with CSRCs and extensions) and payload of an RTP packet of ours."""
    cc = data[0] & 0x0F
    length = 12 + 4 * cc
    if data[0] & 0x10 and len(data) >= length + 4:
        length += 4 + 4 * struct.unpack_from("!H", data, length + 2)[0]
    return data[:length], data[length:]


def with_fields(header: bytes, *, ssrc=None, sequence=None, timestamp=None, marker=None, padding=None) -> bytearray:
    out = bytearray(header)
    if ssrc is not None:
        struct.pack_into("!I", out, 8, ssrc & 0xFFFFFFFF)
    if sequence is not None:
        struct.pack_into("!H", out, 2, sequence & 0xFFFF)
    if timestamp is not None:
        struct.pack_into("!I", out, 4, timestamp & 0xFFFFFFFF)
    if marker is not None:
        out[1] = (out[1] & 0x7F) | (0x80 if marker else 0)
    if padding is not None:
        out[0] = (out[0] & 0xDF) | (0x20 if padding else 0)
    return out


def malformed_vp8_descriptor(rng: random.Random) -> bytes:
    """A VP8 payload descriptor (RFC 7741) that promises more than it holds, or holds nothing after it."""
    choice = rng.randrange(6)
    if choice == 0:
        return bytes([0x90])                       # X=1, S=1: extension byte missing
    if choice == 1:
        return bytes([0x90, 0x80])                 # I=1: picture ID missing
    if choice == 2:
        return bytes([0x90, 0x80, 0x80])           # I=1, M=1: second picture ID byte missing
    if choice == 3:
        return bytes([0x90, 0x60])                 # L=1, T=1: TL0PICIDX and TID/KEYIDX missing
    if choice == 4:
        return bytes([0x90, 0xF0, 0x81, 0x02])     # every field announced, the last ones missing
    return bytes([0x10])                           # S=1 with no VP8 payload at all


async def mutate_rtp(transport, data: bytes) -> None:
    """Called for every RTP packet of ours towards the bot while an RTP phase runs."""
    a, rng = ATTACK, ATTACK.rng
    header, payload = split_rtp(data)
    pt = data[1] & 0x7F
    ssrc = struct.unpack_from("!I", data, 8)[0]
    sequence = struct.unpack_from("!H", data, 2)[0]
    timestamp = struct.unpack_from("!I", data, 4)[0]
    is_video = ssrc == a.announced.get("video")
    phase = a.rtp_phase
    if phase == "ssrc-flood":
        await send_raw(transport, data, "legitimate", "video" if is_video else "audio")
        for _ in range(25):
            new = rng.getrandbits(32)
            a.flood_ssrcs.add(new)
            flood_pt = pt if rng.random() < 0.75 else rng.choice(a.payload_types.get("all", [pt]))
            out = with_fields(header, ssrc=new, sequence=rng.getrandbits(16))
            out[1] = (out[1] & 0x80) | flood_pt
            await send_raw(transport, bytes(out) + payload, "rtp", "ssrcFlood")
        return
    if phase in ("vp8-descriptor", "empty-payload", "random-payload") and rng.random() < 0.5:
        if phase == "vp8-descriptor":
            if not is_video:
                await send_raw(transport, data, "legitimate", "audio")
                return
            await send_raw(transport, bytes(header) + malformed_vp8_descriptor(rng), "rtp", "malformedVP8Descriptor")
        elif phase == "empty-payload":
            if rng.random() < 0.5:
                await send_raw(transport, bytes(header), "rtp", "emptyPayload")
            else:
                # All padding: the last byte says the whole payload is padding.
                pad = rng.randrange(1, 200)
                out = with_fields(header, padding=True) + bytes(pad - 1) + bytes([pad])
                await send_raw(transport, bytes(out), "rtp", "paddingOnlyPayload")
        else:
            junk = rng.randbytes(rng.randrange(1, 1200))
            await send_raw(transport, bytes(header) + junk, "rtp", "randomPayload")
        return
    if phase == "sequence-jump":
        # Forward only, and each jump stays in force: libsrtp refuses to protect an index it has passed.
        # Every 8th packet of the phase jumps, so a peer slowed by a loaded machine still sends enough jumps
        # (a 5 % chance per packet once sent only 3 in a short phase).
        a.sequence_phase_packets += 1
        jump = rng.choice([600, 3001, 10000, 20000, 30000]) if a.sequence_phase_packets % 8 == 1 else 0
        a.sequence_offset += jump
        out = with_fields(header, sequence=sequence + jump)
        await send_raw(transport, bytes(out) + payload, "rtp", "sequenceJump" if jump else "legitimate")
        return
    if phase == "timestamp-jump":
        if rng.random() < 0.05:
            a.timestamp_offset = rng.choice([1 << 31, (1 << 32) - 90000, 90000 * 3600, -1, rng.getrandbits(32)])
        out = with_fields(header, timestamp=timestamp + a.timestamp_offset)
        await send_raw(transport, bytes(out) + payload, "rtp", "timestampJump" if a.timestamp_offset else "legitimate")
        return
    await send_raw(transport, data, "legitimate", "video" if is_video else "audio")


async def send_rtp_hook(self, data: bytes) -> None:
    a = ATTACK
    if a is None or self not in a.targets or len(data) < 12:
        return await ORIGINAL_SEND_RTP(self, data)
    is_rtcp = 192 <= data[1] <= 223
    if not is_rtcp and a.sequence_offset and struct.unpack_from("!I", data, 8)[0] in (a.announced.get("video"), a.announced.get("audio")):
        # Jumps stay in force after their phase (see mutate_rtp).
        data = bytes(with_fields(data, sequence=struct.unpack_from("!H", data, 2)[0] + a.sequence_offset))
    if is_rtcp or a.rtp_phase is None:
        # An exception here would end aiortc's sender task for the track: counted instead.
        await send_raw(self, data, "rtcpOwn" if is_rtcp else "legitimate",
                       "rtcp" if is_rtcp else ("video" if struct.unpack_from("!I", data, 8)[0] == a.announced.get("video") else "audio"))
        return
    await mutate_rtp(self, data)


RTCDtlsTransport._send_rtp = send_rtp_hook


# ------------------------------------------------------------------ RTCP

def rtcp_header(count: int, packet_type: int, words: int) -> bytes:
    return struct.pack("!BBH", 0x80 | (count & 0x1F), packet_type, words & 0xFFFF)


def random_rtcp(rng: random.Random) -> bytes:
    length = rng.randrange(8, 1300)
    body = bytearray(rng.randbytes(length))
    body[0] = 0x80 | (body[0] & 0x3F)
    body[1] = rng.randrange(192, 209)
    return bytes(body)


def truncated_rtcp(rng: random.Random, own_ssrc: int) -> bytes:
    """A packet whose length field promises more than the datagram holds, alone or after a good one."""
    rr = rtcp_header(0, 201, 1) + struct.pack("!I", own_ssrc)
    kind = rng.choice([200, 201, 202, 203, 205, 206])
    bad = rtcp_header(rng.randrange(32), kind, rng.randrange(2, 0xFFFF)) + struct.pack("!I", own_ssrc) + rng.randbytes(rng.randrange(0, 40))
    if rng.random() < 0.5:
        return rr + bad
    # A length that ends in the middle of the next header.
    return rr + rtcp_header(1, 200, 7) + struct.pack("!I", own_ssrc) + rng.randbytes(10)


def absurd_rtcp(rng: random.Random, own_ssrc: int, bot_ssrcs: list[int]) -> bytes:
    """Counts and lengths at their limits, consistent with the datagram or not."""
    media = rng.choice(bot_ssrcs) if bot_ssrcs else rng.getrandbits(32)
    choice = rng.randrange(6)
    if choice == 0:   # RR claiming 31 report blocks, holding none
        return rtcp_header(31, 201, 1) + struct.pack("!I", own_ssrc)
    if choice == 1:   # RR with 31 real blocks on random SSRCs
        blocks = b"".join(struct.pack("!IIIIII", rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32),
                                      rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32)) for _ in range(31))
        return rtcp_header(31, 201, 1 + 31 * 6) + struct.pack("!I", own_ssrc) + blocks
    if choice == 2:   # SDES claiming 31 chunks, holding four of 255-byte items
        chunks = b""
        for _ in range(4):
            item = bytes([1, 255]) + rng.randbytes(255)
            chunk = struct.pack("!I", rng.getrandbits(32)) + item + b"\x00"
            chunk += b"\x00" * ((4 - len(chunk) % 4) % 4)
            chunks += chunk
        return rtcp_header(31, 202, len(chunks) // 4) + chunks
    if choice == 3:   # BYE claiming 31 sources, holding two, with a reason longer than the packet
        return rtcp_header(31, 203, 3) + struct.pack("!II", own_ssrc, media) + bytes([255, 1, 2, 3])
    if choice == 4:   # generic NACK with 300 FCI entries
        fci = b"".join(struct.pack("!HH", rng.getrandbits(16), 0xFFFF) for _ in range(300))
        return rtcp_header(1, 205, 2 + 300) + struct.pack("!II", own_ssrc, media) + fci
    # APP with an unknown subtype and length 0xFFFF
    return rtcp_header(rng.randrange(32), 204, 0xFFFF) + struct.pack("!I", own_ssrc) + b"JUNK" + rng.randbytes(20)


def feedback_flood(rng: random.Random, own_ssrc: int, bot_ssrcs: list[int]) -> tuple[str, bytes]:
    media = rng.choice(bot_ssrcs) if bot_ssrcs else rng.getrandbits(32)
    rr = rtcp_header(0, 201, 1) + struct.pack("!I", own_ssrc)
    choice = rng.randrange(4)
    if choice == 0:
        fci = b"".join(struct.pack("!HH", rng.getrandbits(16), 0xFFFF) for _ in range(100))
        return "nack", rr + rtcp_header(1, 205, 2 + 100) + struct.pack("!II", own_ssrc, media) + fci
    if choice == 1:
        return "pli", rr + rtcp_header(1, 206, 2) + struct.pack("!II", own_ssrc, media)
    if choice == 2:
        return "fir", rr + rtcp_header(4, 206, 4) + struct.pack("!II", own_ssrc, 0) + struct.pack("!IB3x", media, rng.getrandbits(8))
    # REMB naming 200 SSRCs with a bitrate of all ones
    ssrcs = [rng.getrandbits(32) for _ in range(200)]
    body = struct.pack("!II", own_ssrc, 0) + b"REMB" + bytes([200, 0xFF, 0xFF, 0xFF]) + b"".join(struct.pack("!I", s) for s in ssrcs)
    return "remb", rr + rtcp_header(15, 206, len(body) // 4) + body


def wild_sender_report(rng: random.Random, ssrc: int) -> bytes:
    ntp = rng.choice([0, (1 << 64) - 1, 1 << 63, rng.getrandbits(64), 0x83AA7E80 << 32])
    rtp = rng.choice([0, 0xFFFFFFFF, rng.getrandbits(32)])
    return rtcp_header(0, 200, 6) + struct.pack("!IQIII", ssrc, ntp, rtp, rng.getrandbits(32), rng.getrandbits(32))


async def rtcp_phase(name: str, transport, seconds: float):
    a, rng = ATTACK, ATTACK.rng
    video, audio = a.announced.get("video", 0), a.announced.get("audio", 0)
    bot_ssrcs = a.announced.get("bot", [])
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(PACKETS_PER_TICK):
            if name == "rtcp-random":
                await send_raw(transport, random_rtcp(rng), "rtcp", "random")
            elif name == "rtcp-truncated":
                await send_raw(transport, truncated_rtcp(rng, video), "rtcp", "truncated")
            elif name == "rtcp-absurd-counts":
                await send_raw(transport, absurd_rtcp(rng, video, bot_ssrcs), "rtcp", "absurdCounts")
            elif name == "feedback-flood":
                kind, packet = feedback_flood(rng, video, bot_ssrcs)
                await send_raw(transport, packet, "rtcp", kind)
            elif name == "wild-sender-reports":
                await send_raw(transport, wild_sender_report(rng, rng.choice([video, audio])), "rtcp", "wildSenderReport")
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------ SCTP

def sctp_garbage(rng: random.Random, sctp) -> bytes:
    """A packet with the association's ports, tag and a valid CRC32c, carrying chunks that lie."""
    choice = rng.randrange(5)
    if choice == 0:    # a chunk length past the packet
        chunk = struct.pack("!BBH", 0, 3, 0xFFFF) + rng.randbytes(20)
    elif choice == 1:  # DATA with a TSN far ahead and an unknown stream
        chunk = struct.pack("!BBHIHHI", 0, 3, 16 + 4, rng.getrandbits(32), rng.getrandbits(16), 0, 53) + b"junk"
    elif choice == 2:  # RE-CONFIG asking to reset every stream
        streams = b"".join(struct.pack("!H", s) for s in range(1000))
        param = struct.pack("!HHIII", 13, 16 + len(streams), rng.getrandbits(32), 0, 0) + streams
        chunk = struct.pack("!BBH", 130, 0, 4 + len(param)) + param
    elif choice == 3:  # SACK with 5000 gap blocks and duplicate TSNs it does not hold
        chunk = struct.pack("!BBHIIHH", 3, 0, 0xFFFF, rng.getrandbits(32), 0, 5000, 5000) + rng.randbytes(64)
    else:              # unknown chunk types with every flag
        chunk = struct.pack("!BBH", rng.randrange(14, 256), 0xFF, 4 + 32) + rng.randbytes(32)
    chunk += b"\x00" * ((4 - len(chunk) % 4) % 4)
    header = struct.pack("!HHI", sctp._local_port, sctp._remote_port, sctp._remote_verification_tag)
    checksum = crc32c(header + b"\x00\x00\x00\x00" + chunk)
    return header + struct.pack("<I", checksum) + chunk


async def sctp_phase(name: str, entry, transport, seconds: float):
    a, rng = ATTACK, ATTACK.rng
    sctp = entry.pc.sctp
    channel = entry.dc
    if sctp is None or channel is None or channel.readyState != "open":
        a.errors.append(f"{name}: no open data channel to the bot")
        return
    try:
        if name == "many-messages":
            for i in range(3000):
                channel.send(rng.randbytes(rng.randrange(1, 64)))
                a.count("sctp", "binaryMessages")
                if i % 30 == 0:
                    channel.send(f"mallory: flood line {i}")
                    a.count("sctp", "textMessages")
                if i % 200 == 0:
                    await asyncio.sleep(0)
        elif name == "huge-messages":
            sctp._remote_max_message_size = 0  # past what the bot's SDP allows
            for size in (300_000, 1_000_000, 2_000_000):
                channel.send(rng.randbytes(size))
                a.count("sctp", "hugeBinaryMessages")
            channel.send("mallory: " + "A" * 300_000)
            a.count("sctp", "hugeTextMessages")
        elif name == "many-channels":
            for i in range(400):
                flood = entry.pc.createDataChannel(f"flood-{i}", ordered=bool(i % 2))
                a.count("sctp", "channelsOpened")

                @flood.on("open")
                def on_open(flood=flood, i=i):
                    try:
                        flood.send(f"mallory: on flood channel {i}")
                        a.count("sctp", "messagesOnFloodChannels")
                    except Exception:  # noqa: BLE001
                        pass
                if i % 50 == 0:
                    await asyncio.sleep(0)
        elif name == "sctp-garbage":
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                for _ in range(PACKETS_PER_TICK):
                    try:
                        await ORIGINAL_SEND_DATA(transport, sctp_garbage(rng, sctp))
                        a.count("sctp", "garbagePackets")
                    except Exception as error:  # noqa: BLE001
                        a.count("notSent", f"sctp-garbage: {type(error).__name__}")
                await asyncio.sleep(0.01)
    except Exception as error:  # noqa: BLE001
        a.errors.append(f"{name}: {error!r}")


# ------------------------------------------------------------------ the participant

class HostilePeer(aiortc_peer.Participant):
    """Talks to the bot only: frames from anyone else are ignored, so the clean participants stay clean."""

    def __init__(self, bot_name: str, **kwargs):
        super().__init__(**kwargs)
        self.bot_name = bot_name

    async def on_frame(self, peer, action, message):
        if peer != self.bot_name:
            return
        await super().on_frame(peer, action, message)

    def bot_entry(self):
        for entry in self.entries.values():
            if entry.peer == self.bot_name and entry.kind == aiortc_peer.CAMERA and not entry.closed:
                return entry
        return None


def announce(entry) -> None:
    """Our SSRCs and payload types, and the bot's SSRCs (targets of feedback), from the descriptions."""
    a = ATTACK
    for transceiver in entry.pc.getTransceivers():
        sender = transceiver.sender
        if sender.track is not None:
            a.announced[sender.track.kind] = sender._ssrc
            a.announced[f"{sender.track.kind}Rtx"] = sender._rtx_ssrc
    local = entry.pc.localDescription.sdp if entry.pc.localDescription else ""
    remote = entry.pc.remoteDescription.sdp if entry.pc.remoteDescription else ""
    pts = sorted({int(line.split(":")[1].split()[0]) for line in local.splitlines() if line.startswith("a=rtpmap:")})
    a.payload_types["all"] = pts
    bot = sorted({int(line.split(":")[1].split()[0]) for line in remote.splitlines() if line.startswith("a=ssrc:")})
    a.announced["bot"] = bot


async def watch_loop_lag(stop: asyncio.Event):
    """How late our own event loop runs: a stalled loop would stop answering the bot's consent checks."""
    while not stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(0.05)
        lag = time.monotonic() - before - 0.05
        ATTACK.max_loop_lag = max(ATTACK.max_loop_lag, lag)


async def run_attack(me: HostilePeer, args, stop: asyncio.Event):
    a = ATTACK
    entry = None
    while not stop.is_set():
        entry = me.bot_entry()
        if entry is not None and entry.pc.connectionState == "connected" and entry.dc is not None \
                and entry.dc.readyState == "open":
            break
        await asyncio.sleep(0.1)
    if stop.is_set() or entry is None:
        a.errors.append("the connection to the bot never came up")
        return
    transport = entry.pc.getTransceivers()[0].sender.transport
    a.targets.add(transport)
    announce(entry)
    a.log("connected to the bot; announced", a.announced)
    await asyncio.sleep(args.clean_start)
    for rtp, rtcp, sctp in zip(RTP_PHASES, RTCP_PHASES, SCTP_PHASES):
        if args.only:
            rtp, rtcp, sctp = (name if name in args.only else None for name in (rtp, rtcp, sctp))
            if not (rtp or rtcp or sctp):
                continue
        if stop.is_set() or entry.pc.connectionState != "connected":
            a.errors.append(f"the connection to the bot is {entry.pc.connectionState} before {rtp}")
            break
        started = time.monotonic() - a.t0
        a.log("phase", rtp, rtcp, sctp)
        a.timestamp_offset = 0
        a.rtp_phase = rtp
        tasks = []
        if rtcp:
            tasks.append(asyncio.ensure_future(rtcp_phase(rtcp, transport, args.phase_seconds)))
        if sctp:
            tasks.append(asyncio.ensure_future(sctp_phase(sctp, entry, transport, args.phase_seconds)))
        await asyncio.sleep(args.phase_seconds)
        a.rtp_phase = None
        a.timestamp_offset = 0
        await asyncio.gather(*tasks)
        a.phases.append({"rtp": rtp, "rtcp": rtcp, "sctp": sctp, "start": round(started, 3),
                         "end": round(time.monotonic() - a.t0, 3), "maxLoopLagSeconds": round(a.max_loop_lag, 3)})
        a.log("phase over; loop lag so far", round(a.max_loop_lag, 3))
        await asyncio.sleep(args.gap_seconds)
    a.log("attack over; clean media from now on")


def write_report(path: Path | None, me: HostilePeer):
    if path is None:
        return
    a = ATTACK
    entry = me.bot_entry()
    report = {"counts": a.counts, "phases": a.phases, "errors": a.errors, "announced": a.announced,
              "payloadTypes": a.payload_types, "floodSSRCs": len(a.flood_ssrcs),
              "connectionState": entry.pc.connectionState if entry else None,
              "maxLoopLagSeconds": round(a.max_loop_lag, 3), "log": me.logs[-50:]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=2))
    tmp.replace(path)


async def main(args) -> int:
    global ATTACK
    ATTACK = Attack(args.seed)
    me = HostilePeer(args.bot_name, name=args.name, ws_url=args.ws, result=None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await me.join()
    attack = asyncio.ensure_future(run_attack(me, args, stop))
    watch = asyncio.ensure_future(watch_loop_lag(stop))
    deadline = time.monotonic() + args.seconds if args.seconds else None
    try:
        while not stop.is_set() and not (deadline and time.monotonic() >= deadline):
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except asyncio.TimeoutError:
                pass
            write_report(args.report, me)
    finally:
        attack.cancel()
        watch.cancel()
        write_report(args.report, me)
        await me.leave()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ws", required=True, help="room WebSocket URL")
    parser.add_argument("--name", default="mallory")
    parser.add_argument("--bot-name", default="recorder")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clean-start", type=float, default=4, help="clean media before the first phase (s)")
    parser.add_argument("--phase-seconds", type=float, default=2.5)
    parser.add_argument("--gap-seconds", type=float, default=1.5, help="clean media after each phase (s)")
    parser.add_argument("--seconds", type=float, default=0, help="leave after this long (default: at SIGINT)")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=None,
                        help="run only these phases (comma-separated names from the table above)")
    parser.add_argument("--report", type=Path, help="where to write what was sent (JSON)")
    sys.exit(asyncio.run(main(parser.parse_args())))
