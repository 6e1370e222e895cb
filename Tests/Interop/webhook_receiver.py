#!/usr/bin/env python3
"""A webhook receiver for the service tests: records every delivery and checks its signature.

    python3 Tests/Interop/webhook_receiver.py --secret S --log FILE [--port 0]

Prints `listening on PORT` once ready. Each POST becomes one JSON line in FILE: the path, the
delivery and event headers, the body, and whether `X-EngageBot-Signature` (t=<unix>,v1=<hex
HMAC-SHA256 of "<t>.<body>">) verifies under the secret -- checked here, independently of the bot's
own code. Answers 200. Loopback only.
"""

import argparse
import hashlib
import hmac
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    secret = options.secret.encode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get("X-EngageBot-Signature", "")
            parts = dict(part.split("=", 1) for part in signature.split(",") if "=" in part)
            expected = hmac.new(secret, parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
            valid = "v1" in parts and hmac.compare_digest(expected, parts["v1"])
            try:
                event = json.loads(body)
            except ValueError:
                event = None
            entry = {"path": self.path, "delivery": self.headers.get("X-EngageBot-Delivery"),
                     "event": self.headers.get("X-EngageBot-Event"), "valid": valid, "body": event}
            with open(options.log, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    # Explicit handlers: a parent that ignores SIGINT passes that on, and Python then never raises
    # KeyboardInterrupt; the test must be able to stop the receiver either way.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: os._exit(0))
    server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
    print(f"listening on {server.server_address[1]}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
