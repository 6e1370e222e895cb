#!/usr/bin/env bash
# Runs every test: the README's test command and what CI calls.
#
# Two passes over one build. Swift Testing runs suites side by side on Swift's cooperative thread
# pool, one thread per core; the media suites (encoding video, waiting on ffmpeg) hold both threads of
# a 2-core machine for tens of seconds, and the in-process NIO suites (news fetcher, room server),
# which judge a server by replies within seconds, then wait for a thread rather than for the server.
# So those run first, alone. Then the in-process suites (about a minute). Last, alone, the suites that
# run real peers, browsers and the bot as processes (InteropTests): their peers' congestion control and
# lip sync react to a busy CPU as to a bad network, so nothing else may share the cores with them.
set -euo pipefail
cd "$(dirname "$0")/.."
timing_sensitive="NewsTests|RoomServerTests"
swift build --build-tests
swift test --skip-build --filter "$timing_sensitive"
swift test --skip-build --skip "$timing_sensitive|InteropTests"
swift test --skip-build --filter InteropTests
