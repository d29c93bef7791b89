"""Between invocations an environment is frozen, as Lambda freezes its microVM: a background thread, child
process, leftover grandchild or timer makes no progress while it waits, resumes on the next invoke, and a frozen
environment still dies when it is killed. A lone environment (one thread, no child ever, no timer) cannot run
while it waits, and is left unfrozen."""
from __future__ import annotations

import os
import time

import pytest
from support import eventually as _eventually

from lambdanb.sandbox import cgroups

SPINNER = '''
import subprocess, threading, time
state = {"spins": 0}
ticker = None

def spin():
    while True:
        state["spins"] += 1

def lambda_handler(event, context):
    global ticker
    if event == "start":
        threading.Thread(target=spin, daemon=True).start()
        ticker = subprocess.Popen(["sh", "-c", "while :; do echo tick >> /tmp/ticks; sleep 0.02; done"])
    if event == "work":
        time.sleep(0.5)
    try:
        ticks = len(open("/tmp/ticks").read().split())
    except FileNotFoundError:
        ticks = 0
    return {"spins": state["spins"], "ticks": ticks}
'''


def environment(service, name: str):
    return service.placement._pools[f"{name}:$LATEST"].idle[0]


def state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(") ", 1)[1][0]


def test_threads_and_children_stop_between_invokes_and_resume_on_the_next(service):
    service.create_function("spinner", SPINNER, timeout=10)
    service.invoke("spinner", "start")
    first = service.invoke("spinner", "read").payload
    time.sleep(1.0)  # idle: on Lambda nothing of the function runs now
    idle = service.invoke("spinner", "read").payload
    worked = service.invoke("spinner", "work").payload  # half a second of running
    idle_spins, work_spins = idle["spins"] - first["spins"], worked["spins"] - idle["spins"]
    idle_ticks, work_ticks = idle["ticks"] - first["ticks"], worked["ticks"] - idle["ticks"]
    assert work_spins > 0 and work_ticks > 3  # they resume when an invoke comes
    assert idle_spins * 4 < work_spins, (idle_spins, work_spins)  # a second idle: less than an eighth of 0.5 s
    assert idle_ticks * 4 < work_ticks, (idle_ticks, work_ticks)


def test_a_frozen_environment_is_frozen_and_still_dies(service):
    service.create_function("spinner", SPINNER, timeout=10)
    service.invoke("spinner", "start")
    waiting = environment(service, "spinner")
    members = list(waiting._group.members()) if waiting._group is not None else [waiting.process.pid]
    if waiting._group is not None:  # without a delegated cgroup, only the environment itself is known
        assert len(members) >= 2  # the environment and its ticking shell
        assert (cgroups.ROOT / "freezer" / waiting._group.name / "freezer.state").read_text().strip() \
            in ("FREEZING", "FROZEN")
    service.close()
    assert _eventually(lambda: all(not os.path.exists(f"/proc/{pid}") or state(pid) == "Z" for pid in members))


def _shell_ticker(start: str) -> str:
    """A function whose `start` leaves a shell loop ticking in the background (into its own /tmp), counted by each
    invoke."""
    return f"""
import signal, subprocess, time

def lambda_handler(event, context):
    if event == "start":
        {start}
        subprocess.run(["sh", "-c", "(while :; do echo tick >> /tmp/ticks; sleep 0.02; done) &"])
    if event == "work":
        time.sleep(0.5)
    try:
        return len(open("/tmp/ticks").read().split())
    except FileNotFoundError:
        return 0
"""


TICKERS = {
    "a timer": """
import signal, time
state = {"ticks": 0}

def tick(number, frame):
    state["ticks"] += 1

def lambda_handler(event, context):
    if event == "start":
        signal.signal(signal.SIGALRM, tick)
        signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
    if event == "work":
        time.sleep(0.5)
    return state["ticks"]
""",
    # the shell ends at once; the loop it started goes on alone
    "a grandchild left behind": _shell_ticker("pass"),
    # with SIGCHLD ignored, the shell leaves no trace once it ends
    "a grandchild of a child nobody waits for": _shell_ticker("signal.signal(signal.SIGCHLD, signal.SIG_IGN)"),
}


@pytest.mark.parametrize("ticker", TICKERS)
def test_what_could_run_while_it_waits_is_frozen(service, ticker):
    service.create_function("ticker", TICKERS[ticker], timeout=10)
    first = service.invoke("ticker", "start").payload
    time.sleep(1.0)
    idle = service.invoke("ticker", "read").payload
    worked = service.invoke("ticker", "work").payload
    assert worked - idle > 3  # it runs while an invoke runs
    assert (idle - first) * 4 < worked - idle, (first, idle, worked)  # and hardly at all in a second idle


def test_a_lone_process_is_left_waiting_unfrozen(service):
    service.create_function("lone", "def lambda_handler(e, c):\n    return e\n")
    assert service.invoke("lone", 1).payload == 1
    pid = environment(service, "lone").process.pid
    assert _eventually(lambda: state(pid) == "S")  # asleep on its pipe, not stopped: nothing in it can run
    assert service.invoke("lone", 2).payload == 2
    assert environment(service, "lone").process.pid == pid  # the same warm environment answered


def test_an_environment_killed_while_it_waits_is_an_exit_error_then_starts_again(service):
    service.create_function("lone", "def lambda_handler(e, c):\n    return e\n")
    service.invoke("lone", 1)
    waiting = environment(service, "lone")
    waiting.kill()  # what the recycler and the memory watchdog do to a waiting environment
    assert _eventually(lambda: not os.path.exists(f"/proc/{waiting.process.pid}")
                       or state(waiting.process.pid) == "Z")
    assert service.invoke("lone", 3).payload == 3
