"""pytest: the interop harness itself works (two browsers, no bot). About 20 s.

    python3 -m pytest -q Tests/Interop/test_harness.py

Skipped when Chromium, chromedriver or a loopback-only network namespace are not available.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import selfcheck  # noqa: E402


def _available() -> str | None:
    for tool in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not Path(tool).exists():
            return f"{tool} is missing"
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is missing"
    return None


@pytest.mark.skipif(_available() is not None, reason=str(_available()))
def test_two_browsers_see_each_other(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(HERE / "run_meeting.py"), "--self-check", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120)
    if proc.returncode == 77:
        pytest.skip("no network namespace: " + proc.stderr.strip())
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["harness"]["ok"], result["harness"]["errors"]
    assert result["harness"]["netns_loopback_only"]
    failed = [c for c in result["selfCheck"]["checks"] if not c["ok"]]
    assert not failed, json.dumps(failed, indent=1)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(_available() is not None, reason=str(_available()))
def test_browser_and_aiortc_peer(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(HERE / "run_meeting.py"), "--participant", "alice@0",
         "--participant", "aiortc:carol@2", "--chat", "alice@7:hello from alice",
         "--chat", "carol@7.5:hello from carol", "--seconds", "10", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120)
    if proc.returncode == 77:
        pytest.skip("no network namespace: " + proc.stderr.strip())
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["harness"]["ok"], result["harness"]["errors"]
    failed = [c for c in selfcheck.check_pair(result, "alice", "carol") if not c["ok"]]
    assert not failed, json.dumps(failed, indent=1)
    assert result["participants"]["carol"]["exit"]["exit_code"] == 0


def test_participant_specs():
    sys.path.insert(0, str(HERE))
    import run_meeting as rm
    p = rm.parse_participant("aiortc:carol@2-9.5", 3)
    assert (p.kind, p.name, p.join_at, p.leave_at) == ("aiortc", "carol", 2.0, 9.5)
    p = rm.parse_participant("Dr. Who @ home@5", 1)
    assert (p.kind, p.name, p.join_at, p.leave_at) == ("browser", "Dr. Who @ home", 5.0, None)
    a = rm.parse_timed("bob@8.5:hi: there", "chat", True)
    assert (a.who, a.at, a.text) == ("bob", 8.5, "hi: there")


def test_udp_loss_spec():
    sys.path.insert(0, str(HERE))
    import run_meeting as rm
    assert rm.parse_args(["--participant", "alice", "--udp-loss", "127.0.0.2=0.05"]).loss == ("127.0.0.2", 0.05)
    for bad in (["--udp-loss", "127.0.0.2"], ["--udp-loss", "10.0.0.1=0.05"], ["--udp-loss", "127.0.0.2=1.5"],
                ["--udp-loss", "127.0.0.2=0.05", "--no-netns"]):
        with pytest.raises(SystemExit):
            rm.parse_args(["--participant", "alice", *bad])


def test_selfcheck_rejects_an_empty_result():
    result = {"participants": {"alice": {}, "bob": {}}}
    assert not selfcheck.check_two_browsers(result, "alice", "bob")["ok"]
