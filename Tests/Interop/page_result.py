#!/usr/bin/env python3
"""Opens a local page in headless Chromium and prints what it finally writes into its `<pre id="out">`.

The page does its work (load a recording, seek, draw) and sets the element's text; this waits in real time
until the text starts with one of the final words, or the timeout passes, and prints the text either way.
Real time, not `--virtual-time-budget`: virtual time does not wait for the media pipeline, so a seek could
still be under way when the page was dumped.

    python3 page_result.py PAGE.html --final seeked --final error [--timeout 30]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def main() -> int:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    parser = argparse.ArgumentParser()
    parser.add_argument("page", type=Path)
    parser.add_argument("--final", action="append", required=True)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    profile = tempfile.mkdtemp(prefix="page-result-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                 "--allow-file-access-from-files", "--autoplay-policy=no-user-gesture-required",
                 f"--user-data-dir={profile}", "--no-first-run"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    text = ""
    try:
        driver.get(args.page.resolve().as_uri())
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            text = driver.execute_script("const e = document.getElementById('out'); return e ? e.textContent : ''")
            if any(text.startswith(word) for word in args.final):
                break
            time.sleep(0.05)
    finally:
        driver.quit()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
