#!/usr/bin/env bash
# Runs COMMAND [ARGS...] inside a fresh network namespace in which only loopback is up,
# so that interop tests can reach nothing but 127.0.0.1.
#
# Needs root (or CAP_SYS_ADMIN) for `unshare -n`. When that is not permitted it stops with
# exit code 77 (the conventional "skipped") and says why; set ENGAGE_ALLOW_HOST_NETWORK=1 to
# run the command on the host network instead (it still only talks to 127.0.0.1, but the
# browsers' own background traffic is then not fenced in).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 64
fi

if [ "${ENGAGE_IN_NETNS:-}" = "1" ]; then
  exec "$@"   # already inside one
fi

if command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
   && unshare -n -- true 2>/dev/null; then
  exec unshare -n -- bash -c 'ip link set lo up && export ENGAGE_IN_NETNS=1 && exec "$@"' in-netns "$@"
fi

reason="unshare -n is not permitted here (needs root or CAP_SYS_ADMIN, and the unshare and ip tools)"
if [ "${ENGAGE_ALLOW_HOST_NETWORK:-}" = "1" ]; then
  echo "in-netns.sh: WARNING: $reason; running on the host network because ENGAGE_ALLOW_HOST_NETWORK=1" >&2
  exec "$@"
fi
echo "in-netns.sh: $reason; not running '$1'. Set ENGAGE_ALLOW_HOST_NETWORK=1 to run on the host network." >&2
exit 77
