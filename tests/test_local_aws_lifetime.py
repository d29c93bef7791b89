"""The local AWS's server lives exactly as long as the kernel that started it, however the kernel ends."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from lambdanb.aws import LocalAWS
from lambdanb.errors import LambdaNBError

# A stand-in for the kernel: starts a local AWS, says the server's pid, then ends as it is told.
DRIVER = textwrap.dedent("""
    import os, sys, time
    from lambdanb.aws import LocalAWS
    local = LocalAWS()
    local.start()
    local.client("s3").list_buckets()
    print(local.pid, flush=True)
    how = sys.argv[1]
    if how == "exit":
        sys.exit(0)
    if how == "_exit":
        os._exit(0)
    time.sleep(600)
""")
DEATH_DEADLINE_S = 2.0


def alive(pid: int) -> bool:
    """Whether pid is a live process (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_until_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return not alive(pid)


@pytest.mark.parametrize("how", ["exit", "_exit", "SIGTERM", "SIGKILL"])
def test_the_server_dies_with_the_kernel(how):
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, how], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    server_pid = int(driver.stdout.readline())
    assert alive(server_pid)
    if how.startswith("SIG"):
        driver.send_signal(getattr(signal, how))
    driver.wait(30)
    try:
        assert wait_until_gone(server_pid, DEATH_DEADLINE_S), f"the server outlived its kernel ({how})"
    finally:
        if alive(server_pid):
            os.kill(server_pid, signal.SIGKILL)


def test_starting_from_a_thread_that_ends_keeps_the_server():
    local = LocalAWS()
    try:
        starter = threading.Thread(target=lambda: local.client("s3").create_bucket(Bucket="kept-bucket"))
        starter.start()
        starter.join()
        # Longer than the 2 s after which a server tied to its starting thread (PR_SET_PDEATHSIG) was gone.
        time.sleep(3)
        assert local.running
        assert [b["Name"] for b in local.client("s3").list_buckets()["Buckets"]] == ["kept-bucket"]
    finally:
        local.stop()


def test_stop_ends_the_server_and_start_makes_a_fresh_one():
    local = LocalAWS()
    try:
        local.client("s3").create_bucket(Bucket="first-life")
        pid = local.pid
        local.stop()
        assert not local.running and not alive(pid)
        assert local.client("s3").list_buckets()["Buckets"] == []
        assert local.pid != pid
    finally:
        local.stop()


@pytest.mark.parametrize("server, sentence", [
    ("import sys\nsys.exit(3)\n", "The local AWS stopped as it started."),
    ("import json, sys\nsys.stdin.readline()\nprint(json.dumps({'error': 'ImportError: no moto here'}))\n",
     "The local AWS did not start: ImportError: no moto here"),
])
def test_a_server_that_cannot_start_is_told_in_one_sentence(server, sentence, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    script = tmp_path / "server.py"
    script.write_text(f"open({str(runs)!r}, 'a').write('run\\n')\n" + server)
    monkeypatch.setattr("lambdanb.aws.SERVER_SCRIPT", str(script))
    local = LocalAWS()
    with pytest.raises(LambdaNBError) as error:
        local.start()
    assert str(error.value) == sentence
    assert not local.running
    assert runs.read_text() == "run\n", "one failed start, one server"
