"""Limits are real, and nothing a function does kills or hangs the kernel: each case ends as a Lambda error
or a normal result, and the next invoke works."""
from __future__ import annotations

import os
import re

import pytest
from support import eventually as _eventually

from lambdanb.sandbox import cgroups
from lambdanb.sandbox.limits import descendants

COUNTING = '''
count = 0
def lambda_handler(event, context):
    global count
    count += 1
    if event == "misbehave":
        {misbehave}
    return count
'''


def deploy(service, name, misbehave, **settings):
    service.create_function(name, COUNTING.replace("{misbehave}", misbehave), **settings)


def assert_recovers(service, name, expect_count=1):
    """After a reset the environment initialises again: globals are gone, and it answers."""
    r = service.invoke(name, "fine")
    assert r.function_error is None, r.payload
    assert r.payload == expect_count


def test_timeout_kills_a_c_loop_and_its_children(service):
    deploy(service, "slow", "import itertools, subprocess\n"
                            "        [subprocess.Popen(['sleep', '60']) for _ in range(3)]\n"
                            "        print('about to spin')\n"
                            "        sum(itertools.count())", timeout=1)
    assert service.invoke("slow", "fine").payload == 1
    environment_pid = service.placement._pools["slow:$LATEST"].idle[0].process.pid
    r = service.invoke("slow", "misbehave")
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorType": "Sandbox.Timedout",
                         "errorMessage": f"RequestId: {r.request_id} Error: Task timed out after 1.00 seconds"}
    assert "about to spin" in r.logs
    report = r.logs.splitlines()[-1]
    assert report.startswith(f"REPORT RequestId: {r.request_id}\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\t")
    assert report.endswith("Status: timeout")
    assert f"{r.request_id} Task timed out after 1.00 seconds" in r.logs
    assert r.duration_ms == 1000.0 and r.billed_duration_ms == 1000
    assert _eventually(lambda: _is_zombie(environment_pid))
    assert_recovers(service, "slow")


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1].startswith("Z")
    except OSError:
        return True


def test_no_sleeping_children_survive_a_timeout(service):
    deploy(service, "sleepy", "import subprocess, time\n"
                              "        print('sleepers', *(subprocess.Popen(['sleep', '60'], start_new_session=True).pid "
                              "for _ in range(3)), flush=True)\n"
                              "        time.sleep(60)", timeout=1)
    logs = service.invoke("sleepy", "misbehave").logs
    pids = [int(p) for p in re.search(r"sleepers ([\d ]+)", logs).group(1).split()]
    assert len(pids) == 3
    assert _eventually(lambda: all(_is_zombie(pid) for pid in pids))



def test_out_of_memory(service):
    deploy(service, "hungry", "x = []\n        while True: x.append(bytearray(1024 * 1024))", memory_size=128)
    r = service.invoke("hungry", "misbehave")
    assert r.payload == {"errorType": "Runtime.OutOfMemory",
                         "errorMessage": f"RequestId: {r.request_id} Error: Runtime exited with error: signal: killed"}
    assert r.logs.splitlines()[-1].endswith("Status: error\tError Type: Runtime.OutOfMemory")
    assert r.max_memory_used_mb == 128
    assert_recovers(service, "hungry")


def test_one_huge_allocation_is_out_of_memory_too(service):
    deploy(service, "huge", "bytearray(64 * 1024 ** 3)")
    assert service.invoke("huge", "misbehave").payload["errorType"] == "Runtime.OutOfMemory"
    assert_recovers(service, "huge")


def test_memory_of_child_processes_counts(service):
    deploy(service, "kids", "import subprocess, sys\n"
                            "        subprocess.run([sys.executable, '-c', 'x = bytearray(400 * 1024 * 1024); "
                            "import time; time.sleep(5)'])", memory_size=256)
    assert service.invoke("kids", "misbehave").payload["errorType"] == "Runtime.OutOfMemory"


def test_max_memory_used_is_measured_not_configured(service):
    deploy(service, "grows", "x = bytearray(200 * 1024 * 1024)", memory_size=1024)
    small = service.invoke("grows", "fine").max_memory_used_mb
    big = service.invoke("grows", "misbehave").max_memory_used_mb
    assert small < 100 and 200 <= big < 1024


@pytest.mark.parametrize("misbehave, message", [
    ("import sys; sys.exit()", "Runtime exited without providing a reason"),
    ("import sys; sys.exit(2)", "Runtime exited with error: exit status 2"),
    ("import os; os._exit(3)", "Runtime exited with error: exit status 3"),
    ("import ctypes; ctypes.string_at(0)", "Runtime exited with error: signal: segmentation fault"),
    ("import os, signal; os.killpg(0, signal.SIGKILL)", "Runtime exited with error: signal: killed"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", "Runtime exited with error: signal: terminated"),
])
def test_runtime_exit_errors(service, misbehave, message):
    deploy(service, "quits", misbehave)
    r = service.invoke("quits", "misbehave")
    assert r.payload == {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {r.request_id} Error: {message}"}
    assert r.logs.splitlines()[-1].endswith("Status: error\tError Type: Runtime.ExitError")
    assert_recovers(service, "quits")


def test_killing_its_parent_does_not_reach_the_kernel(service):
    deploy(service, "parricide", "import os, signal; os.kill(os.getppid(), signal.SIGKILL)")
    assert service.invoke("parricide", "misbehave").function_error is None
    service.create_function("bystander", "def lambda_handler(e, c):\n    return 'still here'\n")
    assert service.invoke("bystander").payload == "still here"
    # The environment outlived its parent process: its limits must still hold.
    service.update_function("parricide", COUNTING.replace("{misbehave}", "import os, signal, time\n"
                            "        os.kill(os.getppid(), signal.SIGKILL)\n        time.sleep(30)"), timeout=1)
    service.invoke("parricide", "fine")
    assert service.invoke("parricide", "misbehave").payload["errorType"] == "Sandbox.Timedout"
    assert service.invoke("parricide", "misbehave").payload["errorType"] == "Sandbox.Timedout"


def test_unbounded_recursion_ends_the_environment(service):
    deploy(service, "abyss", "import sys; sys.setrecursionlimit(10 ** 7)\n        f = lambda n: f(n + 1)\n        f(0)")
    r = service.invoke("abyss", "misbehave")
    assert r.payload["errorType"] in ("Runtime.OutOfMemory", "Runtime.ExitError")
    assert_recovers(service, "abyss")


def test_ordinary_recursion_is_a_handler_error(service):
    deploy(service, "deep", "f = lambda n: f(n + 1)\n        f(0)")
    r = service.invoke("deep", "misbehave")
    assert r.payload["errorType"] == "RecursionError"
    assert r.payload["errorMessage"] == "maximum recursion depth exceeded"
    assert service.invoke("deep", "fine").payload == 2  # a handler error does not reset the environment


@pytest.mark.skipif(not cgroups.available(), reason="fork bombs are only run under a pids cgroup bound")
def test_fork_bomb_is_stopped(service):
    deploy(service, "bomb", "import os, time\n"
                            "        while True:\n"
                            "            try: os.fork()\n"
                            "            except OSError: time.sleep(0.01)", timeout=2)
    r = service.invoke("bomb", "misbehave")
    assert r.payload["errorType"] in ("Runtime.OutOfMemory", "Sandbox.Timedout")
    below = descendants(os.getpid())  # one look: zombies are being reaped meanwhile
    assert [p for p in below if not (_is_zombie(p) or _is_ours(p))] == []
    assert_recovers(service, "bomb")


def _is_ours(pid: int) -> bool:
    """A process of the service itself: the forkserver template, a live environment, or the local AWS."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            text = cmdline.read()
    except OSError:
        return True
    return b"multiprocess" in text or b"local_aws_server" in text


def test_output_flood_is_capped_and_fast(service):
    deploy(service, "flood", "for _ in range(300_000): print('x' * 100)")
    r = service.invoke("flood", "misbehave")
    assert r.function_error is None
    assert re.search(r"\[lambdanb\] \d+ bytes of output were dropped", r.logs)
    assert len(r.logs) < 2 * 1024 * 1024
    assert r.logs.splitlines()[-1].startswith("REPORT RequestId:")


def test_closed_stdout_and_replaced_streams_are_restored(service):
    deploy(service, "closer", "import os, sys\n        os.close(1); os.close(2); sys.stdout.close()\n"
                              "        sys.stdout = None")
    assert service.invoke("closer", "misbehave").function_error is None
    r = service.invoke("closer", "fine")
    assert r.payload == 2
    service.update_function("closer", "def lambda_handler(e, c):\n    print('visible')\n    return 1\n")
    assert "visible" in service.invoke("closer").logs


def test_a_slow_init_past_ten_seconds_is_a_timeout(service):
    service.create_function("slowinit", "import time\ntime.sleep(11)\ndef lambda_handler(e, c):\n    return 1\n",
                            timeout=1)
    r = service.invoke("slowinit")
    assert r.payload["errorType"] == "Sandbox.Timedout"
    assert "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout" in r.logs
