"""Checks on a result.json of run_meeting.py: do two browsers see, hear and chat with each other?

Used by `run_meeting.py --self-check` and by test_harness.py; the Swift-side tests can reuse
`camera_connection`, `video_stats` and friends to read result.json the same way.
"""

from __future__ import annotations

CONNECTED_ICE = ("connected", "completed")


def camera_connection(result: dict, viewer: str, peer: str) -> dict | None:
    """`viewer`'s camera connection with `peer`, from peers()."""
    for entry in result["participants"].get(viewer, {}).get("peers") or []:
        if entry.get("name") == peer and entry.get("kind") == "camera":
            return entry
    return None


def connection_stats(result: dict, viewer: str, peer: str, kind: str = "camera") -> dict | None:
    for entry in result["participants"].get(viewer, {}).get("stats") or []:
        if entry.get("name") == peer and entry.get("kind") == kind:
            return entry
    return None


def video_sizes(result: dict, viewer: str, peer: str, kind: str = "camera") -> list[tuple[int, int]]:
    return [(v.get("videoWidth", 0), v.get("videoHeight", 0))
            for v in result["participants"].get(viewer, {}).get("remoteVideoSizes") or []
            if v.get("name") == peer and v.get("kind") == kind]


def received_chat(result: dict, viewer: str) -> list[str]:
    return [c["text"] for c in result["participants"].get(viewer, {}).get("chatLog") or []
            if c.get("direction") == "in"]


def _first(value):
    return value[0] if isinstance(value, list) else value


def check_pair(result: dict, a: str, b: str, chat_text: str | None = "hello from {peer}") -> list[dict]:
    """Checks that a and b see each other; `chat_text` (formatted with peer=) is the chat each
    is expected to have received from the other exactly once (None: no chat check).
    Browser-only statistics are not asked of aiortc participants."""
    checks = []

    def check(name: str, ok: bool, detail=None):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})

    for viewer, peer in ((a, b), (b, a)):
        is_browser = result["participants"].get(viewer, {}).get("kind", "browser") == "browser"
        conn = camera_connection(result, viewer, peer)
        check(f"{viewer} is connected to {peer}",
              conn is not None and conn.get("iceConnectionState") in CONNECTED_ICE
              and conn.get("connectionState") == "connected" and conn.get("dataChannel") == "open",
              conn)
        sizes = video_sizes(result, viewer, peer)
        check(f"{viewer} shows {peer}'s video", any(w > 0 and h > 0 for w, h in sizes), sizes)
        stats = connection_stats(result, viewer, peer) or {}
        out_video = _first(stats.get("outbound", {}).get("video")) or {}
        out_audio = _first(stats.get("outbound", {}).get("audio")) or {}
        rr_video = _first(stats.get("remoteInbound", {}).get("video")) or {}
        in_video = _first(stats.get("inbound", {}).get("video")) or {}
        pair = stats.get("candidatePair") or {}
        check(f"{viewer} sends audio and video to {peer}",
              out_video.get("packetsSent", 0) > 0 and out_audio.get("packetsSent", 0) > 0,
              {"video": out_video.get("packetsSent"), "audio": out_audio.get("packetsSent")})
        check(f"{viewer} gets receiver reports from {peer}",
              rr_video.get("roundTripTime") is not None, rr_video)
        if is_browser:
            check(f"{viewer} decodes {peer}'s video", in_video.get("framesDecoded", 0) > 0,
                  {k: in_video.get(k) for k in ("framesDecoded", "frameWidth", "frameHeight", "codec")})
            check(f"{viewer}'s pair with {peer} succeeded", pair.get("state") == "succeeded",
                  {k: pair.get(k) for k in ("state", "local", "remote")})
        if chat_text is not None:
            expected = f"{peer}: " + chat_text.format(peer=peer)
            got = received_chat(result, viewer)
            check(f"{viewer} got {peer}'s chat once", got.count(expected) == 1, got)
    return checks


def check_two_browsers(result: dict, a: str, b: str) -> dict:
    checks = check_pair(result, a, b)
    return {"ok": all(c["ok"] for c in checks), "checks": checks}
