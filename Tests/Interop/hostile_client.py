#!/usr/bin/env python3
"""A hostile room participant: sends the bot every kind of bad input we could think of.

    python3 Tests/Interop/hostile_client.py --ws WS_URL --bot-name recorder \
        [--proxy-listen PORT] [--attack-after S] [--bot-pid PID] [--report FILE]

Meant to be started by run_meeting.py (`--command hostile@0:...`). It

* with `--proxy-listen PORT`: listens on 127.0.0.1:PORT and relays every TCP connection to the room
  (point the bot's WebSocket URL at it). The relay closes sockets that send it non-JSON or
  incomplete frames, so such frames can only reach the bot from "the server" side: the proxy
  injects them, whole WebSocket frames between the server's own, into the bot's stream;
* after `--attack-after` s, over about five seconds, sends through the real room (one WebSocket per
  connection it wants the bot to see, since the relay names connections by sender channel):
  frames the relay passes but the room protocol forbids, offers with garbage or doctored Chromium
  SDP, second offers, answers for nothing, new-peer frames with names that are paths, control
  characters or 10 KB of text, garbage answers to the bot's offers (or none at all);
* blasts a few hundred random datagrams (RTP/RTCP-like, STUN-like with bad integrity, DTLS-like)
  from 127.0.0.1 at the UDP port of the bot's offer to it and at every UDP socket of the bot
  process (`--bot-pid`, or else the process that connected to the proxy), which its connections share: so
  also at connections that have SRTP keys, from an address none of them validated;
* then keeps its sockets open until SIGINT/SIGTERM and writes what it did to `--report` (JSON).

Loopback only: it refuses any WebSocket URL that is not 127.0.0.1 / localhost.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM_OFFER = HERE.parent / "MeshTests" / "Fixtures" / "chromium-156-offer.sdp"

STOP = threading.Event()
REPORT: dict = {"sent": [], "injected": [], "udp": {}, "botOffers": {}, "errors": []}
REPORT_LOCK = threading.Lock()
T0 = time.monotonic()


def log(*parts) -> None:
    print(f"[hostile {time.monotonic() - T0:6.2f}]", *parts, file=sys.stderr, flush=True)


def note(section: str, entry) -> None:
    with REPORT_LOCK:
        REPORT[section].append(entry)


# ---------------------------------------------------------------- WebSocket frames (server side)

def ws_frame(payload: bytes, opcode: int = 0x1, fin: bool = True) -> bytes:
    """An unmasked frame, as a server sends it."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


class Proxy:
    """TCP relay to the room that can inject whole WebSocket frames towards the client (the bot)."""

    def __init__(self, port: int, upstream: tuple[str, int]):
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", port))
        self.clients: list[tuple[socket.socket, threading.Lock]] = []
        self.client_pid = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()
        log(f"proxy on 127.0.0.1:{port} -> {upstream[0]}:{upstream[1]}")

    def accept(self) -> None:
        while not STOP.is_set():
            try:
                client, address = self.server.accept()
            except OSError:
                return
            self.client_pid = self.client_pid or pid_of_tcp_client(address[1], self.server.getsockname()[1])
            upstream = socket.create_connection(self.upstream)
            write_lock = threading.Lock()
            with self.lock:
                self.clients.append((client, write_lock))
            threading.Thread(target=self.pump_up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self.pump_down, args=(upstream, client, write_lock), daemon=True).start()
            log(f"proxy: client connected (pid {self.client_pid})")

    @staticmethod
    def pump_up(client: socket.socket, upstream: socket.socket) -> None:
        try:
            while data := client.recv(65536):
                upstream.sendall(data)
        except OSError:
            pass
        try:
            upstream.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    @staticmethod
    def pump_down(upstream: socket.socket, client: socket.socket, write_lock: threading.Lock) -> None:
        """Forwards the HTTP response as is, then only whole frames, so injections never split one."""
        buffer = b""
        in_frames = False
        try:
            while data := upstream.recv(65536):
                buffer += data
                while True:
                    if not in_frames:
                        end = buffer.find(b"\r\n\r\n")
                        if end < 0:
                            break
                        chunk, buffer = buffer[:end + 4], buffer[end + 4:]
                        in_frames = True
                    else:
                        size = Proxy.frame_size(buffer)
                        if size is None or len(buffer) < size:
                            break
                        chunk, buffer = buffer[:size], buffer[size:]
                    with write_lock:
                        client.sendall(chunk)
        except OSError:
            pass
        try:
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    @staticmethod
    def frame_size(buffer: bytes) -> int | None:
        if len(buffer) < 2:
            return None
        masked = buffer[1] & 0x80
        n = buffer[1] & 0x7F
        offset = 2
        if n == 126:
            if len(buffer) < 4:
                return None
            n = struct.unpack("!H", buffer[2:4])[0]
            offset = 4
        elif n == 127:
            if len(buffer) < 10:
                return None
            n = struct.unpack("!Q", buffer[2:10])[0]
            offset = 10
        return offset + (4 if masked else 0) + n

    def inject(self, kind: str, payload: bytes, opcode: int = 0x1) -> None:
        with self.lock:
            clients = list(self.clients)
        if not clients:
            REPORT["errors"].append(f"inject {kind}: the bot never connected through the proxy")
            return
        for client, write_lock in clients:
            try:
                with write_lock:
                    if opcode == 0x1 and kind == "fragmented text":
                        half = len(payload) // 2
                        client.sendall(ws_frame(payload[:half], 0x1, fin=False)
                                       + ws_frame(payload[half:], 0x0, fin=True))
                    else:
                        client.sendall(ws_frame(payload, opcode))
            except OSError as error:
                REPORT["errors"].append(f"inject {kind}: {error}")
        note("injected", {"kind": kind, "bytes": len(payload), "head": payload[:80].decode("utf-8", "replace")})


# ---------------------------------------------------------------- room sockets

class RoomSocket:
    """One WebSocket to the room, i.e. one sender channel as far as the relay and the bot know."""

    def __init__(self, ws_url: str, name: str):
        import websocket
        self.name = name
        self.ws = websocket.create_connection(ws_url, timeout=10)
        self.ws.settimeout(None)   # idle for the rest of the meeting: only a close ends the reader
        self.frames: queue.Queue = queue.Queue()
        self.closed = False
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        while not STOP.is_set():
            try:
                text = self.ws.recv()
            except Exception:  # noqa: BLE001 - closed
                self.closed = True
                return
            if not text:
                continue
            try:
                frame = json.loads(text)
            except ValueError:
                continue
            self.frames.put(frame)

    def send(self, kind: str, frame: dict | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        try:
            self.ws.send(text)
            note("sent", {"kind": kind, "as": self.name[:40], "bytes": len(text)})
        except Exception as error:  # noqa: BLE001
            REPORT["errors"].append(f"send {kind}: {error}")

    def wait_offer_from(self, bot: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = self.frames.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if frame.get("peer") == bot and frame.get("action") == "new-offer":
                return frame
        return None


def offer_frame(name: str, channel: str, sdp, local=False, remote=False, sdp_type="offer") -> dict:
    message = {"receiver_channel_name": channel, "local_screen_sharing": local, "remote_screen_sharing": remote}
    if sdp is not None:
        message["sdp"] = {"type": sdp_type, "sdp": sdp}
    return {"peer": name, "action": "new-offer", "message": message}


def answer_frame(name: str, channel: str, sdp: str) -> dict:
    return {"peer": name, "action": "new-answer",
            "message": {"sdp": {"type": "answer", "sdp": sdp}, "receiver_channel_name": channel,
                        "local_screen_sharing": False, "remote_screen_sharing": False}}


def sdp_port(sdp: str) -> int | None:
    m = re.search(r"^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", sdp, re.M)
    if m:
        return int(m.group(1))
    m = re.search(r"^m=\w+ (\d+) ", sdp, re.M)
    return int(m.group(1)) if m and m.group(1) != "9" else None


# ---------------------------------------------------------------- doctored Chromium offers

def chromium_offer() -> str:
    return CHROMIUM_OFFER.read_text()


def without(sdp: str, prefix: str) -> str:
    return "".join(line for line in sdp.splitlines(keepends=True) if not line.startswith(prefix))


def wrong_fingerprint(sdp: str) -> str:
    fake = ":".join(f"{random.randrange(256):02X}" for _ in range(32))
    return re.sub(r"^a=fingerprint:sha-256 .*$", f"a=fingerprint:sha-256 {fake}\r", sdp, flags=re.M)


# ---------------------------------------------------------------- UDP garbage

def bot_udp_ports(pid: int) -> list[int]:
    """The 127.0.0.1 UDP ports the bot process has bound (same network namespace)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            m = re.fullmatch(r"socket:\[(\d+)\]", target)
            if m:
                inodes.add(m.group(1))
    except OSError as error:
        REPORT["errors"].append(f"bot sockets: {error}")
        return []
    ports = []
    try:
        lines = Path("/proc/net/udp").read_text().splitlines()[1:]
    except OSError:
        return []
    for line in lines:
        fields = line.split()
        address, port = fields[1].split(":")
        if fields[9] in inodes and address == "0100007F":
            ports.append(int(port, 16))
    return sorted(ports)


def pid_of_tcp_client(client_port: int, server_port: int) -> int:
    """The process owning the loopback TCP socket 127.0.0.1:client_port -> :server_port (0 if unknown)."""
    inode = None
    try:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{client_port:04X}" and fields[2].endswith(f":{server_port:04X}"):
                inode = fields[9]
    except OSError:
        return 0
    if inode is None:
        return 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
        except OSError:
            continue
    return 0


def garbage_datagrams(count: int) -> list[tuple[str, bytes]]:
    out = []
    for i in range(count):
        kind = ("rtp", "stun", "dtls")[i % 3]
        if kind == "rtp":
            # 0x80-0xbf: version 2; second byte random, so both RTP and RTCP (200-207) payload types.
            second = random.choice([random.randrange(256), random.randrange(200, 208)])
            body = bytes([random.randrange(0x80, 0xC0), second]) + os.urandom(random.randrange(10, 1200))
        elif kind == "stun":
            # A binding request with the magic cookie, USERNAME and a MESSAGE-INTEGRITY that is wrong.
            username = os.urandom(8).hex().encode()
            attrs = struct.pack("!HH", 0x0006, len(username)) + username
            attrs += struct.pack("!HH", 0x0025, 0)                       # USE-CANDIDATE
            attrs += struct.pack("!HH", 0x0008, 20) + os.urandom(20)    # MESSAGE-INTEGRITY
            header = struct.pack("!HHI", random.randrange(0x0000, 0x0400) & 0x3EEF | 0x0001,
                                 len(attrs), 0x2112A442) + os.urandom(12)
            if random.random() < 0.3:
                body = bytes([random.randrange(0, 4)]) + os.urandom(random.randrange(1, 200))
            else:
                body = header + attrs
        else:
            content = random.randrange(20, 64)
            body = bytes([content, 0xFE, 0xFD]) + os.urandom(random.randrange(8, 400))
        out.append((kind, body))
    return out


def blast(ports: list[int], per_port: int, reason: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    for port in ports:
        counts = {"rtp": 0, "stun": 0, "dtls": 0}
        for kind, body in garbage_datagrams(per_port):
            try:
                sock.sendto(body, ("127.0.0.1", port))
                counts[kind] += 1
            except OSError:
                pass
            if counts[kind] % 25 == 0:
                time.sleep(0.005)
        with REPORT_LOCK:
            REPORT["udp"][str(port)] = {"why": reason, **counts}
        log(f"blasted {sum(counts.values())} datagrams at {port} ({reason})")
    sock.close()


# ---------------------------------------------------------------- the attack

HOSTILE_NAMES = {
    "slash": "../../../../tmp/engage-escape/x",
    "dotdot": "..",
    "dot": ".",
    "hidden": ".manifest.json",
    "control": "ctl\x00\x01\x07\x1b[2J\r\n\x7fname\u202e\u200b",
    "huge": ("big/../" * 1500)[:10240],
    "clash": "alice",
    "manifest": "manifest",
}


def attack(args, proxy: Proxy | None, sockets: list) -> None:
    bot = args.bot_name

    def room(name: str) -> RoomSocket:
        s = RoomSocket(args.ws, name)
        sockets.append(s)
        return s

    if args.oversized_frame:
        # The relay passes any size; one broadcast frame this big reaches everyone, the bot included.
        room("oversized").send("oversized new-peer frame", {
            "peer": "x" * args.oversized_frame, "action": "new-peer", "message": {"local_screen_sharing": False}})
        if args.only_oversized:
            return

    # 1. Frames the relay would never pass: injected on the bot's own socket by the proxy.
    if proxy is not None:
        for kind, payload, opcode in [
            ("bad JSON", b'{"peer": "x", "action": "new-peer", "message": {', 0x1),
            ("not JSON at all", b"hello, bot", 0x1),
            ("empty text frame", b"", 0x1),
            ("non-object: array", b'[{"peer": "x", "action": "new-peer", "message": {}}]', 0x1),
            ("non-object: string", b'"new-peer"', 0x1),
            ("non-object: number", b"42", 0x1),
            ("non-object: null", b"null", 0x1),
            ("missing peer", b'{"action": "new-peer", "message": {}}', 0x1),
            ("missing action", b'{"peer": "x", "message": {}}', 0x1),
            ("missing message", b'{"peer": "x", "action": "new-peer"}', 0x1),
            ("message not an object: string", b'{"peer": "x", "action": "new-offer", "message": "sdp"}', 0x1),
            ("message not an object: array", b'{"peer": "x", "action": "new-peer", "message": [1, 2]}', 0x1),
            ("invalid UTF-8", b'{"peer": "\xff\xfe", "action": "new-peer", "message": {}}', 0x1),
            ("binary frame", b'{"peer": "bin", "action": "new-peer", "message": {}}', 0x2),
            ("fragmented text", b'{"peer": "frag", "action": "unknown-action", "message": {}}', 0x1),
            ("deeply nested", b"[" * 5000 + b"]" * 5000, 0x1),
        ]:
            proxy.inject(kind, payload, opcode)
            time.sleep(0.02)

    # 2. Frames the relay passes (it only checks the three keys) but the protocol forbids.
    weird = room("weird")
    weird.send("peer not a string", {"peer": 5, "action": "new-peer", "message": {}})
    weird.send("action not a string", {"peer": "weird", "action": None, "message": {}})
    weird.send("unknown action", {"peer": "weird", "action": "self-destruct", "message": {"x": 1}})

    # 3. Learn the bot's channel and UDP port from the offer it makes to a newcomer.
    mallory = room("mallory")
    mallory.send("new-peer", {"peer": "mallory", "action": "new-peer", "message": {"local_screen_sharing": False}})
    offer = mallory.wait_offer_from(bot, 5)
    if offer is None:
        REPORT["errors"].append("the bot never offered to mallory; directed attacks skipped")
        return
    channel = offer["message"]["receiver_channel_name"]
    bot_sdp = offer["message"]["sdp"]["sdp"]
    port = sdp_port(bot_sdp)
    REPORT["botOffers"]["mallory"] = {"port": port, "bytes": len(bot_sdp)}
    log(f"bot channel {channel}, its port for mallory {port}")

    # 4. Directed frames, each from a socket of its own (= a connection key of its own).
    chromium = chromium_offer()
    cases = [
        ("offer with garbage SDP", "garbage-sdp", "this is not an SDP\r\nv=banana\r\n", {}),
        ("offer without sdp", "no-sdp", None, {}),
        ("offer whose sdp type is answer", "typed-answer", chromium, {"sdp_type": "answer"}),
        ("offer for our screen share", "my-screen", chromium, {"remote": True}),
        ("chromium offer without fingerprint", "no-fingerprint", without(chromium, "a=fingerprint:"), {}),
        ("chromium offer with md5 fingerprint", "md5-fingerprint",
         re.sub(r"^a=fingerprint:sha-256 ", "a=fingerprint:md5 ", chromium, flags=re.M), {}),
        ("chromium offer without ice-ufrag", "no-ufrag", without(chromium, "a=ice-ufrag:"), {}),
        ("chromium offer without ice-pwd", "no-pwd", without(chromium, "a=ice-pwd:"), {}),
        ("chromium offer truncated", "truncated", chromium[: len(chromium) // 3], {}),
        ("chromium offer with wrong fingerprint", "../wrong-fingerprint", wrong_fingerprint(chromium), {}),
    ]
    wrong_fp = None
    for kind, name, sdp, options in cases:
        s = room(name)
        s.send(kind, offer_frame(name, channel, sdp, **options))
        if "wrong fingerprint" in kind:
            wrong_fp = (s, name, sdp)
        time.sleep(0.1)
    if wrong_fp:
        s, name, sdp = wrong_fp
        time.sleep(0.3)
        s.send("second offer for a live connection", offer_frame(name, channel, sdp))
    # The bot offered to mallory: a second (our own) offer on that same connection key.
    mallory.send("second offer for a live connection (bot offered)", offer_frame("mallory", channel, chromium))
    stranger = room("stranger")
    stranger.send("answer for no pending offer", answer_frame("stranger", channel, chromium))
    time.sleep(0.3)

    # 5. UDP garbage at the bot's port for mallory (its offer), then at all its sockets.
    if port:
        blast([port], args.datagrams, "port of the bot's offer to mallory")
    mallory.send("garbage answer", answer_frame("mallory", channel, "v=0\r\ngarbage\r\n"))
    time.sleep(0.2)
    mallory.send("answer after the connection was refused", answer_frame("mallory", channel, "v=0\r\n"))

    # 6. Names: new-peer from each; the bot offers to all of them. Some answer garbage, some never.
    for i, (kind, name) in enumerate(HOSTILE_NAMES.items()):
        s = room(kind)
        s.send(f"new-peer named {kind}", {"peer": name, "action": "new-peer",
                                          "message": {"local_screen_sharing": False}})
        got = s.wait_offer_from(bot, 3)
        if got is None:
            REPORT["errors"].append(f"the bot never offered to the {kind} name")
            continue
        REPORT["botOffers"][kind] = {"port": sdp_port(got["message"]["sdp"]["sdp"])}
        if i % 2 == 0:
            s.send(f"garbage answer from {kind}", answer_frame(name, got["message"]["receiver_channel_name"],
                                                                "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\nm=nonsense\r\n"))
    # An offer from a hostile name too, so that the bot answers (and names a file for) it.
    s = room("named-offer")
    s.send("offer from a control-character name", offer_frame(
        HOSTILE_NAMES["control"] + "/../offer", channel, wrong_fingerprint(chromium)))

    bot_pid = args.bot_pid or (proxy.client_pid if proxy else 0)
    REPORT["botPid"] = bot_pid
    if bot_pid:
        time.sleep(0.2)
        ports = bot_udp_ports(bot_pid)
        REPORT["botUdpPorts"] = ports
        blast(ports, args.datagrams, "a UDP socket of the bot process")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ws", required=True, help="the room's WebSocket URL (loopback only)")
    p.add_argument("--bot-name", default="recorder")
    p.add_argument("--proxy-listen", type=int, metavar="PORT", help="relay the bot's WebSocket through this port")
    p.add_argument("--attack-after", type=float, default=0.0, metavar="S")
    p.add_argument("--bot-pid", type=lambda s: int(s) if s else 0, default=0)
    p.add_argument("--datagrams", type=int, default=300, help="datagrams per target port (default 300)")
    p.add_argument("--oversized-frame", type=int, default=0, metavar="BYTES",
                   help="first send a new-peer whose name is BYTES long through the room (default: none)")
    p.add_argument("--only-oversized", action="store_true", help="send only the oversized frame")
    p.add_argument("--report", type=Path)
    args = p.parse_args(argv)

    url = urllib.parse.urlparse(args.ws)
    if url.hostname not in ("127.0.0.1", "localhost"):
        print(f"refusing non-loopback room {args.ws}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())

    proxy = Proxy(args.proxy_listen, ("127.0.0.1", url.port or 80)) if args.proxy_listen else None
    sockets: list[RoomSocket] = []
    STOP.wait(args.attack_after)
    started = time.monotonic()
    if not STOP.is_set():
        try:
            attack(args, proxy, sockets)
        except Exception as error:  # noqa: BLE001 - reported
            REPORT["errors"].append(f"attack: {type(error).__name__}: {error}")
            log("attack failed:", error)
    REPORT["attackSeconds"] = round(time.monotonic() - started, 2)
    REPORT["roomSockets"] = len(sockets)
    REPORT["socketsClosedByRelay"] = [s.name[:40] for s in sockets if s.closed]
    log(f"attack done in {REPORT['attackSeconds']} s; {len(REPORT['errors'])} errors")
    if args.report:
        args.report.write_text(json.dumps(REPORT, indent=2))
    STOP.wait()
    REPORT["socketsClosedByRelay"] = [s.name[:40] for s in sockets if s.closed]
    if args.report:
        args.report.write_text(json.dumps(REPORT, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
