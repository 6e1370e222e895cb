#!/usr/bin/env bash
# Installs everything EngageBot needs on a fresh Debian 12 machine, then builds it.
# Safe to run again: installed packages are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
    pkg-config libssl-dev libsrtp2-dev libopus-dev libvpx-dev libwebm-dev zlib1g-dev
    ffmpeg mkvtoolnix chromium chromium-driver iproute2 util-linux iptables python3-pip
    # The Pion peer of the interop tests (Tools/pion), built offline in GOPATH mode from these.
    golang-go golang-github-pion-webrtc.v3-dev golang-github-pion-ice.v2-dev golang-github-pion-sdp-dev
    golang-github-gorilla-websocket-dev
)
missing=()
for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

# Python peers and the reference room server used by the interoperability tests.
python3 -m pip install --quiet --disable-pip-version-check -r Tests/Interop/requirements.txt

swift build "$@"
