#!/usr/bin/env python3
"""Our own room page in headless Chromium against `engage-bot serve`, with the bot and synthetic participants.

Everything runs on loopback inside the network namespace `in-netns.sh` makes. Two browsers (alice, bob) open
the page served by `engage-bot serve`; the recorder (`engage-bot join`) and two synthetic participants
(`engage-bot crowd --mesh`) join the same room. After the meeting has settled, each browser reports the
tiles it shows (caption and video size); the result goes to OUT/serve-page.json.

    in-netns.sh python3 serve_page_check.py --bot .build/debug/engage-bot --out DIR [--seconds 16]

The tiles are read after --seconds; where one is missing or not playing yet, again every second for up to
--patience more seconds (a loaded machine can take long to start the crowd), so a slow join is told apart
from a connection that closed (the page's console says which).
"""
import argparse
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def start(command, log: Path) -> subprocess.Popen:
    handle = open(log, "w")
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def browser(camera: Path, profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 "--allow-loopback-in-peer-connection", f"--use-file-for-fake-video-capture={camera}",
                 "--no-sandbox", "--autoplay-policy=no-user-gesture-required", f"--user-data-dir={profile}",
                 "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run", "--mute-audio"]:
        options.add_argument(flag)
    # The page says on its console when a peer joins and when a connection closes, and why.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


TILES = """
return Array.from(document.querySelectorAll('figure')).map(f => ({
  caption: (f.querySelector('figcaption') || {}).textContent || '',
  width: (f.querySelector('video') || {}).videoWidth || 0,
  height: (f.querySelector('video') || {}).videoHeight || 0,
}));
"""


def all_playing(browsers) -> bool:
    """Whether every browser shows every other participant with a picture."""
    for me, tiles in browsers.items():
        others = {"alice", "bob"} - {me}
        for name in ["recorder", "synthetic-1", "synthetic-2", *others]:
            if not any(name in tile["caption"] and tile["width"] > 0 for tile in tiles):
                return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bot", required=True)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seconds", type=float, default=16)
    parser.add_argument("--patience", type=float, default=30)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix="serve-page-"))
    camera = temporary / "camera.y4m"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", "4",
                    "-pix_fmt", "yuv420p", str(camera)], check=True)
    processes, drivers, result = [], [], {"ok": False, "browsers": {}, "console": {}, "errors": []}
    try:
        server = start([args.bot, "serve", "--port", "0"], args.out / "serve.log")
        processes.append(server)
        port = None
        deadline = time.monotonic() + 15
        while port is None and time.monotonic() < deadline:
            text = (args.out / "serve.log").read_text()
            match = re.search(r"url=http://127\.0\.0\.1:(\d+)/", text)
            port = match and match.group(1)
            time.sleep(0.1)
        if not port:
            raise RuntimeError("engage-bot serve did not say where it listens")
        page = f"http://127.0.0.1:{port}/standup"
        socket_url = f"ws://127.0.0.1:{port}/standup"
        for name in ["alice", "bob"]:
            driver = browser(camera, temporary / f"profile-{name}")
            drivers.append((name, driver))
            driver.get(f"{page}?name={name}")
        time.sleep(2)
        processes.append(start([args.bot, "join", socket_url, "--name", "recorder", "--output", str(args.out)],
                               args.out / "bot.log"))
        time.sleep(2)
        processes.append(start([args.bot, "crowd", socket_url, "--participants", "2", "--mesh", "--no-chat",
                                "--seconds", str(args.seconds + args.patience + 10), "--log-level", "info"], args.out / "crowd.log"))
        result["crowd_started"] = time.time()
        time.sleep(args.seconds)
        deadline = time.monotonic() + args.patience
        while True:
            result["tiles_read"] = time.time()
            for name, driver in drivers:
                result["browsers"][name] = driver.execute_script(TILES)
            if all_playing(result["browsers"]) or time.monotonic() > deadline:
                break
            time.sleep(1)
        result["ok"] = True
        for name, driver in drivers:
            result["console"][name] = [f"{entry['timestamp']} {entry['message']}" for entry in driver.get_log("browser")]
    except Exception as error:  # the harness reports, the Swift test judges
        result["errors"].append(f"{type(error).__name__}: {error}")
    finally:
        for _, driver in drivers:
            try:
                driver.quit()
            except Exception:
                pass
        for process in reversed(processes):
            stop(process)
        (args.out / "serve-page.json").write_text(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
