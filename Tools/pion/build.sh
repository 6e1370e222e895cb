#!/usr/bin/env bash
# Builds a Pion program offline, from Debian's Go packages: the room participant of the interop tests
# (Tools/pion/peer, the default) or the reference recorder of the bench (Tools/pion/recorder):
#   Tools/pion/build.sh OUTPUT [peer|recorder]
# Debian installs Pion v3 under /usr/share/gocode/src/github.com/pion/webrtc, without a /v3 folder.
# GOPATH mode resolves the /v3 import paths there only for code that lives in a GOPATH tree and has a
# go.mod ("minimal module compatibility"), so the program is copied into a temporary GOPATH first.
set -euo pipefail
output="$(realpath -m "${1:?usage: build.sh OUTPUT}")"
program="${2:-peer}"
case "$program" in
    peer|recorder) ;;
    *) echo "build.sh: unknown program '$program' (peer or recorder)" >&2; exit 2 ;;
esac
source_dir="$(cd "$(dirname "$0")/$program" && pwd)"
command -v go >/dev/null || { echo "build.sh: go is not installed (scripts/setup.sh installs golang-go)" >&2; exit 1; }
for package in github.com/pion/webrtc github.com/pion/sdp github.com/pion/interceptor github.com/gorilla/websocket; do
    [ -d "/usr/share/gocode/src/$package" ] || {
        echo "build.sh: /usr/share/gocode/src/$package is missing (scripts/setup.sh installs the golang-github-* packages)" >&2
        exit 1
    }
done
gopath="$(mktemp -d)"
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/engage-pion-$program"
cp "$source_dir/main.go" "$source_dir/go.mod" "$gopath/src/engage-pion-$program/"
cd "$gopath/src/engage-pion-$program"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= go build -o "$output" .
