"""A real Jupyter kernel killed in the middle of an invoke leaves nothing behind: its environments, their
children, the forkserver and the local AWS are gone within seconds."""
from __future__ import annotations

import os
import signal

import pytest
from jupyter_client.manager import KernelManager
from support import eventually

from lambdanb.sandbox.limits import descendants

CELLS = [
    "%load_ext lambdanb",
    "%%lambda sleeper --timeout 600\nimport subprocess, time\n\ndef lambda_handler(event, context):\n"
    "    subprocess.Popen(['sleep', '600'], start_new_session=True)\n    time.sleep(600)\n",
    "lambdanb.aws.client('s3').list_buckets(); None",  # the local AWS runs too
    "import threading\nthreading.Thread(target=lambdanb.invoke, args=('sleeper',), daemon=True).start()",
]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_kernel_killed_mid_invoke_leaves_nothing(how):
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        for cell in CELLS:
            reply = client.execute_interactive(cell, timeout=120)
            assert reply["content"]["status"] == "ok", reply["content"]
        kernel = manager.provisioner.process.pid
        # the invoke is under way once its environment and the sleep it started are there
        assert eventually(lambda: sum(1 for pid in descendants(kernel) if "sleep" in _command(pid)) >= 1, 60)
        started = descendants(kernel)
        assert len(started) >= 4  # forkserver, environments, their sleep, the local AWS ...
        os.kill(kernel, how)
        assert eventually(lambda: not any(alive(pid) for pid in started), 10), \
            [(pid, _command(pid)) for pid in started if alive(pid)]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
