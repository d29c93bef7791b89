"""What an environment starts stays contained: orphans are reaped, a fork bomb (even one whose children leave
their session) ends as a Lambda error with nothing left behind, and the function cannot raise its limits."""
from __future__ import annotations

import os
import subprocess

import pytest
from support import eventually as _eventually

from lambdanb.sandbox import cgroups
from lambdanb.sandbox.limits import MB, descendants


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0]
    except (OSError, IndexError):
        return "gone"


def _namespaces_work() -> bool:
    return subprocess.run(["unshare", "-Urm", "true"], capture_output=True).returncode == 0


def test_orphans_are_reaped(service):
    service.create_function("orphans", "import subprocess\ndef lambda_handler(e, c):\n"
                                       "    for _ in range(50):\n"
                                       "        subprocess.run(['sh', '-c', 'sleep 0.01 &'])\n"
                                       "    return 'done'\n", timeout=30)
    for _ in range(3):
        assert service.invoke("orphans").payload == "done"
    zombies = lambda: [p for p in descendants(os.getpid()) if _state(p) == "Z"]  # noqa: E731
    assert _eventually(lambda: zombies() == []), zombies()


@pytest.mark.skipif(not cgroups.available(), reason="fork bombs are only run under a pids cgroup bound")
@pytest.mark.parametrize("leave_session", [False, True])
def test_a_fork_bomb_leaves_nothing_behind(service, leave_session):
    escape = "os.setsid()" if leave_session else "pass"
    service.create_function("bomb", "import os, time\ndef lambda_handler(e, c):\n"
                                    "    while True:\n"
                                    "        try:\n"
                                    "            if os.fork() == 0:\n"
                                    f"                {escape}\n"
                                    "        except OSError:\n"
                                    "            time.sleep(0.01)\n", timeout=3)
    service.create_function("bystander", "def lambda_handler(e, c):\n    return 'fine'\n")
    r = service.invoke("bomb")
    assert r.payload["errorType"] in ("Runtime.OutOfMemory", "Runtime.ExitError", "Sandbox.Timedout")
    bomb = service.placement._pools["bomb:$LATEST"].idle[0]
    assert bomb._group.members() == []  # every process it made, whatever its session, is gone
    assert service.invoke("bystander").payload == "fine"
    service.update_function("bomb", "def lambda_handler(e, c):\n    return 'defused'\n")
    assert service.invoke("bomb").payload == "defused"


@pytest.mark.skipif(not _namespaces_work(), reason="without its own user namespace, root could raise any limit")
def test_limits_are_hard_and_cannot_be_raised(service):
    service.create_function("raiser", "import resource\ndef lambda_handler(e, c):\n"
                                      "    found = {}\n"
                                      "    for name in ('RLIMIT_NOFILE', 'RLIMIT_FSIZE', 'RLIMIT_CORE'):\n"
                                      "        limit = getattr(resource, name)\n"
                                      "        soft, hard = resource.getrlimit(limit)\n"
                                      "        try:\n"
                                      "            resource.setrlimit(limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n"
                                      "            raised = True\n"
                                      "        except (ValueError, OSError):\n"
                                      "            raised = False\n"
                                      "        found[name] = [soft, hard, raised]\n"
                                      "    return found\n")
    found = service.invoke("raiser").payload
    assert found == {"RLIMIT_NOFILE": [1024, 1024, False], "RLIMIT_FSIZE": [512 * MB, 512 * MB, False],
                     "RLIMIT_CORE": [0, 0, False]}
