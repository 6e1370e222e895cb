#!/usr/bin/env bash
# Builds the Pion room participant (Tools/pion/peer) offline, from Debian's Go packages:
#   Tools/pion/build.sh OUTPUT
# Debian installs Pion v3 under /usr/share/gocode/src/github.com/pion/webrtc, without a /v3 folder.
# GOPATH mode resolves the /v3 import paths there only for code that lives in a GOPATH tree and has a
# go.mod ("minimal module compatibility"), so the peer is copied into a temporary GOPATH first.
set -euo pipefail
output="$(realpath -m "${1:?usage: build.sh OUTPUT}")"
source_dir="$(cd "$(dirname "$0")/peer" && pwd)"
command -v go >/dev/null || { echo "build.sh: go is not installed (scripts/setup.sh installs golang-go)" >&2; exit 1; }
for package in github.com/pion/webrtc github.com/pion/sdp github.com/gorilla/websocket; do
    [ -d "/usr/share/gocode/src/$package" ] || {
        echo "build.sh: /usr/share/gocode/src/$package is missing (scripts/setup.sh installs the golang-github-* packages)" >&2
        exit 1
    }
done
gopath="$(mktemp -d)"
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/engage-pion-peer"
cp "$source_dir/main.go" "$source_dir/go.mod" "$gopath/src/engage-pion-peer/"
cd "$gopath/src/engage-pion-peer"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= go build -o "$output" .
