#!/usr/bin/env bash
# Starts a local reference room (Django Channels, loopback only, in a network namespace of its own),
# lets a headless Chromium join as "alice", then runs `engage-bot join` for 20 seconds and prints
# what it recorded into recordings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
swift build >/dev/null
bot="$PWD/.build/debug/engage-bot"
logs="$(mktemp -d)"
python3 Tests/Interop/run_meeting.py --participant alice@0 --bot-at 2 --seconds "$((seconds + 2))" --out "$logs" \
    --bot-command "$bot join {ws_url} --name EngageBot --output $PWD/recordings" >/dev/null
grep -E "first media|finalized|left the room" "$logs/bot.stderr.log" | sed 's/^.*\[Bot\] //'
session="$(ls -td recordings/*/ | head -n 1)"
echo
echo "Recorded into $session:"
for file in "$session"*.webm; do
    streams="$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$file" | paste -sd ' ')"
    errors="$(ffmpeg -nostdin -v error -i "$file" -f null - 2>&1 | wc -l)"
    echo "  $(basename "$file"): $streams; ffmpeg decode errors: $errors"
done
echo "(room, browser and bot logs in $logs)"
