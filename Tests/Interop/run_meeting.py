#!/usr/bin/env python3
"""Runs a meeting in the reference room: headless Chromium participants (and optionally the
bot under test), then writes what every participant saw to OUT/result.json.

    python3 Tests/Interop/run_meeting.py --participant alice@0 --participant bob@3 \
        --chat 'alice@8:hello' --bot-command 'engage-bot join {ws_url} --name recorder --output {out_dir}' \
        --seconds 20 --out /tmp/meeting

Times are seconds on the meeting clock; t=0 is when the room is up and every browser is
launched (and when the bot starts, unless --bot-at says otherwise). When the process is not
already in a loopback-only network namespace it re-runs itself through in-netns.sh
(--no-netns disables that). `--self-check` runs two browsers without a bot and checks that
they see and hear each other; see selfcheck.py.

Exit code: 0 when the harness did everything it was asked (whatever the participants saw),
1 when the harness itself failed (room, browser or an action), 2 for bad arguments,
3 when --self-check ran but its checks failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
NUMBER = r"\d+(?:\.\d+)?"


# ---------------------------------------------------------------- command line

@dataclass
class Participant:
    name: str
    kind: str = "browser"          # "browser" or "aiortc"
    join_at: float = 0.0
    leave_at: float | None = None
    index: int = 0

    @property
    def display(self) -> str:
        """The name the room sees: `alice~2` is a second `alice` (a reload or rejoin under the same name)."""
        return self.name.split("~", 1)[0]

    @property
    def slug(self) -> str:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name)[:40] or "peer"
        return f"{self.index}-{safe}"


@dataclass
class Action:
    at: float
    who: str
    what: str                      # "chat", "share", "stop-share"
    text: str = ""


def parse_participant(spec: str, index: int) -> Participant:
    """`[browser:|aiortc:]NAME[~N][@JOIN[-LEAVE]]`; `NAME~N` joins under NAME again (a rejoin)."""
    m = re.fullmatch(rf"(?:(browser|aiortc):)?(.*?)(?:@({NUMBER})(?:-({NUMBER}))?)?", spec, re.S)
    if not m or not m.group(2):
        raise argparse.ArgumentTypeError(f"bad participant {spec!r}: want [aiortc:]NAME[@JOIN[-LEAVE]]")
    leave = float(m.group(4)) if m.group(4) else None
    join = float(m.group(3)) if m.group(3) else 0.0
    if leave is not None and leave <= join:
        raise argparse.ArgumentTypeError(f"bad participant {spec!r}: leaves before joining")
    return Participant(name=m.group(2), kind=m.group(1) or "browser", join_at=join,
                       leave_at=leave, index=index)


def parse_timed(spec: str, what: str, with_text: bool) -> Action:
    """`NAME@T` or, with text, `NAME@T:TEXT`."""
    pattern = rf"(.+?)@({NUMBER}):(.*)" if with_text else rf"(.+)@({NUMBER})"
    m = re.fullmatch(pattern, spec, re.S)
    if not m:
        raise argparse.ArgumentTypeError(
            f"bad --{what} {spec!r}: want NAME@SECONDS{':TEXT' if with_text else ''}")
    return Action(at=float(m.group(2)), who=m.group(1), what=what,
                  text=m.group(3) if with_text else "")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--participant", action="append", default=[], metavar="[aiortc:]NAME[@JOIN[-LEAVE]]",
                   help="a participant joining at JOIN s (default 0) and closing its page at LEAVE s; repeatable")
    p.add_argument("--chat", action="append", default=[], metavar="NAME@T:TEXT",
                   help="participant NAME sends chat TEXT at T s; repeatable")
    p.add_argument("--share", action="append", default=[], metavar="NAME@T",
                   help="participant NAME starts sharing its screen at T s; repeatable")
    p.add_argument("--stop-share", action="append", default=[], metavar="NAME@T",
                   help="participant NAME stops sharing at T s; repeatable")
    p.add_argument("--bot-command", metavar="CMD",
                   help="shell-split command; {ws_url}, {http_url} and {out_dir} are substituted")
    p.add_argument("--aiortc-args", action="append", default=[], metavar="NAME:ARGS",
                   help="extra aiortc_peer.py arguments for aiortc participant NAME; repeatable")
    p.add_argument("--bot-at", type=float, default=0.0, metavar="T", help="when the bot starts (default 0)")
    p.add_argument("--bot-grace", type=float, default=10.0, metavar="S",
                   help="seconds between SIGINT and SIGKILL when stopping the bot (default 10)")
    p.add_argument("--command", action="append", default=[], metavar="NAME@T:CMD",
                   help="start CMD (shell-split; {ws_url}, {http_url}, {out_dir}, {bot_pid} substituted) at T s, "
                        "logs in OUT/NAME.stdout.log and .stderr.log, stopped after the bot; repeatable")
    p.add_argument("--restart-room", action="append", default=[], metavar="T:DOWN",
                   help="kill the room server (SIGKILL) at T s and start it again DOWN s later on the same port")
    p.add_argument("--seconds", type=float, default=20.0, help="meeting length (default 20)")
    p.add_argument("--out", type=Path, help="output directory (created; default: a new temp dir)")
    p.add_argument("--path", default="/", help="room path of the page and WebSocket (default /)")
    p.add_argument("--camera", type=Path, help="Y4M file for the fake camera (default: made with ffmpeg)")
    p.add_argument("--codec", choices=["vp8", "vp9"],
                   help="video codec every browser prefers (setCodecPreferences); default: Chromium's own order")
    p.add_argument("--camera-size", default="320x240")
    p.add_argument("--camera-fps", type=int, default=15)
    p.add_argument("--sample-every", type=float, default=0.0, metavar="S",
                   help="also sample every browser's stats every S seconds into result.json (default off)")
    p.add_argument("--udp-loss", metavar="ADDRESS=SHARE",
                   help="inside the namespace, drop SHARE (0..1, at random) of the UDP datagrams addressed to "
                        "ADDRESS, e.g. 127.0.0.2=0.05 with the bot on --interface 127.0.0.2: loss on the way to the "
                        "bot only (iptables statistic match); counts in result.json under harness.udpLoss")
    p.add_argument("--no-netns", action="store_true",
                   help="do not re-run inside a loopback-only network namespace")
    p.add_argument("--self-check", action="store_true",
                   help="run alice@0 and bob@3 for 12 s with chat both ways, no bot, and check the result")
    p.add_argument("--verbose", "-v", action="store_true")
    return p


def parse_restart(spec: str) -> tuple[float, float]:
    m = re.fullmatch(rf"({NUMBER}):({NUMBER})", spec)
    if not m:
        raise argparse.ArgumentTypeError(f"--restart-room wants T:DOWN, got {spec!r}")
    return float(m.group(1)), float(m.group(2))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_check:
        if args.participant or args.bot_command:
            parser.error("--self-check takes no --participant or --bot-command")
        args.participant = ["alice@0", "bob@3"]
        args.chat = ["alice@8:hello from alice", "bob@8.5:hello from bob"]
        args.seconds = args.seconds if "--seconds" in argv else 12.0
    try:
        args.participants = [parse_participant(s, i + 1) for i, s in enumerate(args.participant)]
        args.actions = ([parse_timed(s, "chat", True) for s in args.chat]
                        + [parse_timed(s, "share", False) for s in args.share]
                        + [parse_timed(s, "stop-share", False) for s in args.stop_share])
        args.commands = [parse_timed(s, "command", True) for s in args.command]
        args.room_restarts = [parse_restart(s) for s in args.restart_room]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    names = [p.name for p in args.participants]
    commands = [c.who for c in args.commands]
    if len(set(commands)) != len(commands) or any(
            not re.fullmatch(r"[A-Za-z0-9_-]+", c) or c == "bot" for c in commands):
        parser.error("--command names must be unique, [A-Za-z0-9_-]+ and not 'bot'")
    if len(set(names)) != len(names):
        parser.error("participant names must be unique within one run")
    for action in args.actions:
        if action.who not in names:
            parser.error(f"--{action.what} names {action.who!r}, who is not a participant")
    if not args.participants and not args.bot_command:
        parser.error("nothing to run: give --participant and/or --bot-command")
    args.loss = None
    if args.udp_loss:
        address, _, share = args.udp_loss.partition("=")
        try:
            socket.inet_aton(address)
            args.loss = (address, float(share))
        except (OSError, ValueError):
            parser.error(f"--udp-loss wants ADDRESS=SHARE, got {args.udp_loss!r}")
        if not 0 <= args.loss[1] < 1 or not address.startswith("127."):
            parser.error("--udp-loss wants a loopback address and a share from 0 (count only) to below 1")
        if args.no_netns:
            parser.error("--udp-loss changes the namespace's packet filter: it needs the namespace (no --no-netns)")
    return args


# ---------------------------------------------------------------- small helpers

def is_loopback_only() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_process(proc: subprocess.Popen | None, first: int, grace: float) -> dict:
    """Sends `first` to the process group, then SIGKILL after `grace` s. Reports how it ended."""
    if proc is None:
        return {}
    if proc.poll() is not None:
        return {"exit_code": proc.returncode, "stopped_by": None, "exited_by_itself": True}
    kill_group(proc, first)
    stopped_by = signal.Signals(first).name
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        kill_group(proc, signal.SIGKILL)
        stopped_by = "SIGKILL"
        proc.wait(timeout=10)
    return {"exit_code": proc.returncode, "stopped_by": stopped_by, "exited_by_itself": False}


def with_timeout(seconds: float, fn, *args):
    """Runs fn in a thread; raises TimeoutError if it does not return in time."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as error:  # noqa: BLE001 - re-raised in the caller
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"{getattr(fn, '__name__', fn)} took more than {seconds} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


# ---------------------------------------------------------------- the pieces

class Room:
    """daphne serving room.asgi on a free loopback port."""

    def __init__(self, out: Path, path: str):
        self.out = out
        self.path = path if path.startswith("/") else "/" + path
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    def start(self, port: int | None = None) -> None:
        """Starts daphne on a free port, or on `port` (a restart: clients reconnect to the same URL)."""
        log = open(self.out / "room.log", "ab")
        for attempt in range(3):
            self.port = port or free_loopback_port()
            env = dict(os.environ, DJANGO_SETTINGS_MODULE="room.settings", PYTHONUNBUFFERED="1")
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                 "room.asgi:application"],
                cwd=HERE, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/static/room.js", timeout=2) as r:
                        if r.status == 200:
                            return
                except OSError:
                    time.sleep(0.2)
            self.stop()
        raise RuntimeError(f"the room server did not start; see {self.out / 'room.log'}")

    def stop(self) -> dict:
        info = stop_process(self.proc, signal.SIGTERM, 5)
        self.proc = None
        return info

    def restart(self, down: float) -> dict:
        """A crash and a restart: killed outright (no close frames), back on the same port after `down` s."""
        stop_process(self.proc, signal.SIGKILL, 5)
        self.proc = None
        time.sleep(down)
        port = self.port
        self.start(port)
        if self.port != port:
            raise RuntimeError(f"the room came back on port {self.port}, not {port}")
        return {"port": port}


def make_fake_camera(directory: Path, size: str, fps: int, seconds: float = 4.0) -> Path:
    """A small looping Y4M test pattern: Chromium's built-in 640x480 fake camera costs too much CPU."""
    path = directory / f"camera-{size}-{fps}.y4m"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc=size={size}:rate={fps}", "-t", str(seconds), "-pix_fmt", "yuv420p", str(path)],
        check=True, stdin=subprocess.DEVNULL, timeout=60)
    return path


JS_ASYNC = """
const done = arguments[arguments.length - 1];
const call = %s;
Promise.resolve().then(call).then(v => done({ok: true, value: v}),
                                   e => done({ok: false, error: String(e && e.stack || e)}));
"""


class Browser:
    """One headless Chromium driven by the Debian chromedriver."""

    def __init__(self, participant: Participant, out: Path, tmp: Path, camera: Path, verbose: bool,
                 codec: str | None = None):
        self.p = participant
        self.codec = codec
        self.out = out
        self.tmp = tmp
        self.camera = camera
        self.verbose = verbose
        self.driver = None
        self.service = None
        self.joined = False
        self.left = False
        self.console: list = []
        self.page_log: list[str] = []
        self.snapshot: dict | None = None

    def launch(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in [
            "--headless=new",
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            "--allow-loopback-in-peer-connection",
            f"--use-file-for-fake-video-capture={self.camera}",
            "--no-sandbox",
            "--autoplay-policy=no-user-gesture-required",
            f"--user-data-dir={self.tmp / ('profile-' + self.p.slug)}",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--mute-audio",
            "--window-size=1024,768",
        ]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service(
            executable_path=CHROMEDRIVER,
            log_output=str(self.out / f"chromedriver-{self.p.slug}.log"),
            popen_kw={"start_new_session": True})
        self.driver = webdriver.Chrome(service=self.service, options=options)
        self.driver.set_script_timeout(30)
        self.driver.set_page_load_timeout(30)

    def call(self, expression: str, timeout: float = 30):
        """Evaluates a JS function expression in the page (it may return a promise)."""
        reply = with_timeout(timeout + 5, self.driver.execute_async_script, JS_ASYNC % expression)
        if not isinstance(reply, dict) or not reply.get("ok"):
            raise RuntimeError(f"{self.p.name}: {expression}: {reply and reply.get('error')}")
        return reply.get("value")

    def join(self, http_url: str) -> None:
        query = urllib.parse.urlencode({"name": self.p.display, **({"codec": self.codec} if self.codec else {})})
        with_timeout(40, self.driver.get, f"{http_url}?{query}")
        deadline = time.monotonic() + 20
        while True:
            if self.driver.execute_script("return !!(window.engageTest && engageTest.name())"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.p.name}: the page did not start joining")
            time.sleep(0.1)
        self.joined = True

    def collect(self) -> dict:
        """What the page knows now. Each part is collected on its own, so one failure keeps the rest."""
        result: dict = {"errors": []}
        for key, expr in [("peers", "() => engageTest.peers()"),
                          ("chatLog", "() => engageTest.chatLog()"),
                          ("remoteVideoSizes", "() => engageTest.remoteVideoSizes()"),
                          ("stats", "() => engageTest.stats()"),
                          ("sharing", "() => engageTest.sharing()")]:
            try:
                result[key] = self.call(expr)
            except Exception as error:  # noqa: BLE001
                result[key] = None
                result["errors"].append(f"{key}: {error}")
        try:
            self.page_log = self.call("() => engageTest.logs()")
        except Exception as error:  # noqa: BLE001
            result["errors"].append(f"logs: {error}")
        self.drain_console()
        return result

    def drain_console(self) -> None:
        try:
            self.console.extend(with_timeout(15, self.driver.get_log, "browser"))
        except Exception as error:  # noqa: BLE001
            self.console.append({"level": "HARNESS", "message": f"get_log failed: {error}"})

    def leave(self) -> None:
        """Closes the page as a user would; what it saw just before is kept."""
        self.snapshot = self.collect()
        with_timeout(30, self.driver.get, "about:blank")
        self.left = True

    def write_logs(self) -> dict:
        console = self.out / f"browser-{self.p.slug}.console.log"
        page = self.out / f"browser-{self.p.slug}.page.log"
        with open(console, "w") as f:
            for entry in self.console:
                f.write(f"{entry.get('timestamp', '')} {entry.get('level', '')} {entry.get('message', '')}\n")
        page.write_text("".join(line + "\n" for line in self.page_log))
        return {"consoleLog": console.name, "pageLog": page.name}

    def quit(self) -> None:
        if self.driver is not None:
            try:
                with_timeout(20, self.driver.quit)
            except Exception:  # noqa: BLE001
                pass
        proc = getattr(self.service, "process", None)
        if proc is not None:
            kill_group(proc, signal.SIGKILL)
            try:
                proc.wait(timeout=5)
            except Exception:  # noqa: BLE001
                pass


class AiortcPeer:
    """A participant run by aiortc_peer.py in its own process; it writes its own JSON at exit."""

    def __init__(self, participant: Participant, out: Path, extra_arguments: list[str] | None = None):
        self.p = participant
        self.out = out
        self.extra_arguments = extra_arguments or []
        self.proc: subprocess.Popen | None = None
        self.result_path = out / f"aiortc-{participant.slug}.json"
        self.control: Path = out / f"aiortc-{participant.slug}.control"
        self.joined = False
        self.left = False
        self.exit_info: dict = {}

    def join(self, ws_url: str) -> None:
        script = HERE / "aiortc_peer.py"
        self.control.write_text("")
        self.result_path.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, str(script), "--ws", ws_url, "--name", self.p.display,
             "--result", str(self.result_path), "--control", str(self.control)] + self.extra_arguments,
            stdout=open(self.out / f"aiortc-{self.p.slug}.stdout.log", "wb"),
            stderr=open(self.out / f"aiortc-{self.p.slug}.stderr.log", "wb"),
            stdin=subprocess.DEVNULL, start_new_session=True)
        self.joined = True

    def command(self, line: str) -> None:
        with open(self.control, "a") as f:
            f.write(line + "\n")

    def request_snapshot(self) -> str:
        snapshot_id = f"final-{time.monotonic()}"
        self.command(json.dumps({"action": "final-snapshot", "id": snapshot_id}))
        return snapshot_id

    def wait_snapshot(self, snapshot_id: str, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc is not None and self.proc.poll() is None:
            try:
                if json.loads(self.result_path.read_text()).get("snapshotId") == snapshot_id:
                    return True
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self.exit_info = stop_process(self.proc, signal.SIGINT, 10)
        self.left = True

    def collect(self) -> dict:
        try:
            data = json.loads(self.result_path.read_text())
        except (OSError, ValueError) as error:
            data = {"errors": [f"no result from aiortc peer: {error}"]}
        data["exit"] = self.exit_info
        return data


IPTABLES = shutil.which("iptables") or "/usr/sbin/iptables"


def install_udp_loss(address: str, share: float) -> None:
    """Two rules in this namespace's INPUT chain: one that only counts the UDP datagrams to `address`, then one
    that drops `share` of them at random. Only ever called inside the loopback-only namespace, which takes the
    rules with it when it goes."""
    if not is_loopback_only() or os.environ.get("ENGAGE_IN_NETNS") != "1":
        raise RuntimeError("--udp-loss refused: not inside the loopback-only namespace of in-netns.sh")
    for rule in (["-p", "udp", "-d", address],
                 ["-p", "udp", "-d", address, "-m", "statistic", "--mode", "random",
                  "--probability", f"{share:.6f}", "-j", "DROP"]):
        done = subprocess.run([IPTABLES, "-w", "-A", "INPUT", *rule], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"iptables {' '.join(rule)} failed ({done.returncode}): {done.stderr.strip()}")


def udp_loss_counts(address: str) -> dict:
    """What the two rules counted: datagrams addressed to `address`, and how many of them were dropped."""
    listing = subprocess.run([IPTABLES, "-w", "-L", "INPUT", "-v", "-x", "-n"], capture_output=True, text=True)
    counts = {"datagrams": None, "dropped": None}
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) < 8 or not fields[0].isdigit() or address not in fields:
            continue
        if "DROP" in fields:
            counts["dropped"] = int(fields[0])
        else:
            counts["datagrams"] = int(fields[0])
    if counts["datagrams"]:
        counts["droppedShare"] = round((counts["dropped"] or 0) / counts["datagrams"], 4)
    return counts


# ---------------------------------------------------------------- the meeting

class Meeting:
    def __init__(self, args: argparse.Namespace, out: Path):
        self.args = args
        self.out = out
        self.tmp = Path(tempfile.mkdtemp(prefix="engage-meeting-"))
        self.room = Room(out, args.path)
        self.members: dict[str, Browser | AiortcPeer] = {}
        self.bot: subprocess.Popen | None = None
        self.bot_info: dict | None = None
        self.commands: dict[str, tuple[subprocess.Popen, dict]] = {}
        self.timeline: list[dict] = []
        self.samples: list[dict] = []
        self.errors: list[str] = []
        self.t0 = 0.0
        self.t0_wall: dt.datetime | None = None
        self.camera: Path | None = None

    def now(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def say(self, text: str) -> None:
        if self.args.verbose:
            print(f"[meeting {self.now():7.2f}] {text}", file=sys.stderr, flush=True)

    # -- setup
    def setup(self) -> None:
        self.t0 = time.monotonic()
        self.room.start()
        self.say(f"room at {self.room.http_url}")
        browsers = [p for p in self.args.participants if p.kind == "browser"]
        if browsers:
            self.camera = self.args.camera or make_fake_camera(
                self.tmp, self.args.camera_size, self.args.camera_fps)
        for p in self.args.participants:
            if p.kind == "browser":
                member = Browser(p, self.out, self.tmp, self.camera, self.args.verbose, self.args.codec)
                self.members[p.name] = member
                member.launch()
                self.say(f"launched browser for {p.name}")
            else:
                extra = [shlex.split(spec.partition(":")[2]) for spec in self.args.aiortc_args
                         if spec.partition(":")[0] == p.name]
                self.members[p.name] = AiortcPeer(p, self.out, [arg for args in extra for arg in args])

    # -- schedule
    def events(self) -> list[tuple[float, int, str, str, object]]:
        ev = []
        if self.args.bot_command:
            ev.append((self.args.bot_at, 0, "bot-start", "bot", self.start_bot))
        for p in self.args.participants:
            ev.append((p.join_at, 1, "join", p.name, self.joiner(p.name)))
            if p.leave_at is not None:
                ev.append((p.leave_at, 3, "leave", p.name, self.leaver(p.name)))
        for a in self.args.actions:
            ev.append((a.at, 2, a.what, a.who, self.actor(a)))
        for c in self.args.commands:
            ev.append((c.at, 2, "command", c.who, self.commander(c)))
        for at, down in self.args.room_restarts:
            ev.append((at, 2, "restart-room", "room", lambda down=down: self.room.restart(down)))
        if self.args.sample_every > 0:
            t = self.args.sample_every
            while t < self.args.seconds:
                ev.append((t, 4, "sample", "*", self.sample))
                t += self.args.sample_every
        return sorted((e for e in ev if e[0] <= self.args.seconds), key=lambda e: (e[0], e[1]))

    def joiner(self, name: str):
        def run():
            member = self.members[name]
            member.join(self.room.http_url if isinstance(member, Browser) else self.room.ws_url)
        return run

    def leaver(self, name: str):
        def run():
            member = self.members[name]
            member.leave() if isinstance(member, Browser) else member.stop()
        return run

    def actor(self, action: Action):
        def run():
            member = self.members[action.who]
            if not member.joined or member.left:
                raise RuntimeError(f"{action.who} is not in the meeting at t={action.at}")
            if isinstance(member, AiortcPeer):
                member.command(json.dumps({"action": action.what, "text": action.text}))
                return None
            if action.what == "chat":
                return member.call(f"() => engageTest.sendChat({json.dumps(action.text)})")
            if action.what == "share":
                return member.call("() => engageTest.startShare()")
            return member.call("() => engageTest.stopShare()")
        return run

    def sample(self):
        snap = {"t": self.now(), "participants": {}}
        for name, member in self.members.items():
            if isinstance(member, Browser) and member.joined and not member.left:
                try:
                    snap["participants"][name] = {"stats": member.call("() => engageTest.stats()"),
                                                  "peers": member.call("() => engageTest.peers()")}
                except Exception as error:  # noqa: BLE001
                    snap["participants"][name] = {"error": str(error)}
        self.samples.append(snap)

    def substituted(self, command: str) -> list[str]:
        subs = {"{ws_url}": self.room.ws_url, "{http_url}": self.room.http_url, "{out_dir}": str(self.out),
                "{bot_pid}": str(self.bot.pid) if self.bot is not None else ""}
        argv = []
        for word in shlex.split(command):
            for key, value in subs.items():
                word = word.replace(key, value)
            argv.append(word)
        return argv

    def commander(self, command: Action):
        def run():
            argv = self.substituted(command.text)
            info = {"command": argv, "started_at": self.now(), "stdout": f"{command.who}.stdout.log",
                    "stderr": f"{command.who}.stderr.log"}
            proc = subprocess.Popen(
                argv, stdout=open(self.out / info["stdout"], "wb"), stderr=open(self.out / info["stderr"], "wb"),
                stdin=subprocess.DEVNULL, start_new_session=True)
            info["pid"] = proc.pid
            self.commands[command.who] = (proc, info)
            return {"pid": proc.pid}
        return run

    def finish_commands(self) -> None:
        for name, (proc, info) in self.commands.items():
            if "stopped_at" not in info:
                info.update(stop_process(proc, signal.SIGINT, self.args.bot_grace))
                info["stopped_at"] = self.now()

    def start_bot(self):
        argv = self.substituted(self.args.bot_command)
        self.bot_info = {"command": argv, "started_at": self.now(),
                         "stdout": "bot.stdout.log", "stderr": "bot.stderr.log"}
        self.bot = subprocess.Popen(
            argv, stdout=open(self.out / "bot.stdout.log", "wb"),
            stderr=open(self.out / "bot.stderr.log", "wb"), stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.bot_info["pid"] = self.bot.pid
        return {"pid": self.bot.pid}

    # -- run
    def run(self) -> None:
        self.t0 = time.monotonic()
        self.t0_wall = dt.datetime.now(dt.timezone.utc)
        for at, _, what, who, fn in self.events():
            delay = at - self.now()
            if delay > 0:
                time.sleep(delay)
            entry = {"at": at, "started": self.now(), "event": what, "who": who, "ok": True}
            self.say(f"{what} {who}")
            try:
                value = fn()
                if what in ("chat", "share", "stop-share", "bot-start", "command", "restart-room") and value is not None:
                    entry["value"] = value
            except Exception as error:  # noqa: BLE001
                entry["ok"] = False
                entry["error"] = f"{type(error).__name__}: {error}"
                self.errors.append(f"{what} {who} at {at}: {entry['error']}")
            entry["finished"] = self.now()
            if what != "sample":
                self.timeline.append(entry)
        delay = self.args.seconds - self.now()
        if delay > 0:
            time.sleep(delay)
        if self.bot is not None and self.bot.poll() is not None:
            self.bot_info["exited_before_end"] = True

    def collect(self) -> dict:
        # Everyone is asked before anyone leaves, so no one sees another's departure.
        asked = {name: member.request_snapshot() for name, member in self.members.items()
                 if isinstance(member, AiortcPeer) and member.joined and not member.left}
        participants = {}
        browsers_first = sorted(self.members.items(), key=lambda kv: isinstance(kv[1], AiortcPeer))
        for name, member in browsers_first:
            entry = {"kind": member.p.kind, "join_at": member.p.join_at, "leave_at": member.p.leave_at,
                     "joined": member.joined, "left": member.left}
            if isinstance(member, Browser):
                if member.joined and not member.left:
                    entry.update(member.collect())
                elif member.snapshot is not None:
                    entry.update(member.snapshot)
                    entry["collectedAtLeave"] = True
                if member.driver is not None:
                    entry.update(member.write_logs())
            else:
                if name in asked and not member.wait_snapshot(asked[name]):
                    entry.setdefault("harnessNotes", []).append("no final snapshot; periodic one used")
                if member.joined and not member.left:
                    member.stop()
                    member.left = False   # it was there until the end
                entry.update(member.collect())
            participants[name] = entry
        return {name: participants[name] for name in self.members}

    def finish_bot(self) -> None:
        if self.bot is None:
            return
        exited_early = self.bot_info.get("exited_before_end", False)
        self.bot_info.update(stop_process(self.bot, signal.SIGINT, self.args.bot_grace))
        self.bot_info["exited_before_end"] = exited_early
        self.bot_info["stopped_at"] = self.now()
        self.bot = None

    def teardown(self) -> None:
        for member in self.members.values():
            try:
                if isinstance(member, Browser):
                    member.quit()
                else:
                    stop_process(member.proc, signal.SIGKILL, 5)
            except Exception:  # noqa: BLE001
                pass
        try:
            if self.bot is not None:
                self.finish_bot()
        except Exception:  # noqa: BLE001
            pass
        try:
            self.finish_commands()
        except Exception:  # noqa: BLE001
            pass
        self.room.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    out = (args.out or Path(tempfile.mkdtemp(prefix="engage-meeting-out-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc)
    meeting = Meeting(args, out)
    result: dict = {"harness": {"ok": False}, "bot": None, "participants": {}}
    wall = time.monotonic()

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    harness_error = None
    try:
        if args.loss:
            install_udp_loss(*args.loss)
        meeting.setup()
        meeting.run()
        result["participants"] = meeting.collect()
        meeting.finish_bot()
        meeting.finish_commands()
    except BaseException as error:  # noqa: BLE001 - reported in result.json, then the exit code
        harness_error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
        try:
            if not result["participants"]:
                result["participants"] = meeting.collect()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        meeting.teardown()

    errors = list(meeting.errors) + ([harness_error] if harness_error else [])
    result["harness"] = {
        "ok": not errors,
        "errors": errors,
        "started_at": started.isoformat(),
        "wall_seconds": round(time.monotonic() - wall, 2),
        "meeting_seconds": args.seconds,
        "ws_url": meeting.room.ws_url,
        "http_url": meeting.room.http_url,
        "room_log": "room.log",
        "camera": {"size": args.camera_size, "fps": args.camera_fps,
                   "file": str(args.camera) if args.camera else None},
        "netns_loopback_only": is_loopback_only(),
        "udpLoss": ({"address": args.loss[0], "share": args.loss[1], **udp_loss_counts(args.loss[0])}
                    if args.loss else None),
        "t0": meeting.t0_wall.isoformat() if meeting.t0_wall else None,
        "timeline": meeting.timeline,
    }
    result["bot"] = meeting.bot_info
    if meeting.commands:
        result["commands"] = {name: info for name, (_, info) in meeting.commands.items()}
    if meeting.samples:
        result["samples"] = meeting.samples

    code = 0 if not errors else 1
    if args.self_check and not errors:
        import selfcheck
        checks = selfcheck.check_two_browsers(result, "alice", "bob")
        result["selfCheck"] = checks
        code = 0 if checks["ok"] else 3
    (out / "result.json").write_text(json.dumps(result, indent=2, sort_keys=False))
    summary = {"out": str(out), "ok": code == 0, "exit": code, "errors": errors,
               "wall_seconds": result["harness"]["wall_seconds"]}
    if "selfCheck" in result:
        summary["selfCheck"] = {c["name"]: c["ok"] for c in result["selfCheck"]["checks"]}
    print(json.dumps(summary, indent=2))
    return code


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not args.no_netns and os.environ.get("ENGAGE_IN_NETNS") != "1" and not is_loopback_only():
        # Re-run ourselves where only loopback exists.
        wrapper = HERE / "in-netns.sh"
        os.execv("/bin/bash", ["bash", str(wrapper), sys.executable, str(Path(__file__).resolve()), *argv])
    sys.path.insert(0, str(HERE))
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
