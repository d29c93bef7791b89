"""Nothing outlives the kernel, and nothing of the kernel leaks into an environment: a driver process plays the
kernel (busy, idle and frozen environments, a daemonising handler, the local AWS), then ends by exit, SIGTERM or
SIGKILL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support import eventually

from lambdanb.sandbox import cgroups, leftovers

SECRET = "lambdanb-test-secret-of-the-kernel"

DRIVER = '''
import json, os, sys, threading, time
import multiprocess.forkserver, multiprocess.resource_tracker, multiprocess.util
from lambdanb import aws
from lambdanb.service.lambda_service import LambdaService as Service

DAEMON = """import os, time
def lambda_handler(event, context):
    read, write = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(write, str(os.getpid()).encode())
            time.sleep(600)
        os._exit(0)
    os.wait()
    return int(os.read(read, 20))
"""
SPINNER = """import threading
def spin():
    while True:
        pass
def lambda_handler(event, context):
    threading.Thread(target=spin, daemon=True).start()
    return 1
"""
aws.local.start()
service = Service()
service.create_function("busy", "import time\\ndef lambda_handler(e, c):\\n    time.sleep(600)\\n", timeout=900)
service.create_function("idle", "def lambda_handler(e, c):\\n    return 1\\n")
service.create_function("spinner", SPINNER)
service.create_function("daemon", DAEMON)
service.invoke("idle")
service.invoke("spinner")
daemon = service.invoke("daemon").payload
threading.Thread(target=service.invoke, args=("busy",), daemon=True).start()
while not service.placement._pools.get("busy:$LATEST") or not service.placement._pools["busy:$LATEST"].busy:
    time.sleep(0.01)
time.sleep(0.3)
pools = service.placement._pools.values()
environments = [e.process.pid for pool in pools for e in [*pool.idle, *pool.busy]]
forkserver = multiprocess.forkserver._forkserver._forkserver_pid
tracker = multiprocess.resource_tracker._resource_tracker._pid
def environ(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read().decode("latin-1")
    except PermissionError:  # a sealed environment is not dumpable: its image is closed to a normal user too
        return ""
print(json.dumps({"environments": environments, "daemon": daemon, "forkserver": forkserver, "tracker": tracker,
                  "local_aws": aws.local.pid, "environ": [environ(pid) for pid in [*environments, forkserver]],
                  "folders": [str(service.workdir), multiprocess.util.get_temp_dir(), aws.local._home.name]}),
      flush=True)
sys.stdin.readline()  # the test has looked: now end (or wait for the signal that ends this process)
if sys.argv[1] == "exit":
    sys.exit(0)
time.sleep(600)
'''


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1][0] in "ZX"
    except OSError:
        return True


@pytest.mark.parametrize("ending", ["exit", "SIGTERM", "SIGKILL"])
def test_nothing_outlives_the_kernel(tmp_path, ending):
    script = tmp_path / "kernel.py"
    script.write_text(DRIVER)
    environ = {**os.environ, "AWS_SECRET_ACCESS_KEY": SECRET,
               "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent.parent), os.environ.get("PYTHONPATH", "")])}
    kernel = subprocess.Popen([sys.executable, str(script), ending], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env=environ, text=True)
    try:
        line = kernel.stdout.readline()
        assert line, "the driver ended before it reported"
        seen = json.loads(line)
        assert not any(SECRET in text for text in seen["environ"])  # the process images hold nothing of it
        processes = [*seen["environments"], seen["daemon"], seen["forkserver"], seen["tracker"], seen["local_aws"]]
        assert len(seen["environments"]) == 4
        assert [pid for pid in processes if gone(pid)] == [], seen
        leftovers.sweep()  # another kernel starting: the driver's folders are held, so they stay
        assert all(Path(folder).exists() for folder in seen["folders"])
        kernel.stdin.write("go\n")
        kernel.stdin.flush()
        if ending != "exit":
            kernel.send_signal(getattr(signal, ending))
        kernel.wait(30)
        assert eventually(lambda: all(gone(pid) for pid in processes), 5), \
            [pid for pid in processes if not gone(pid)]
    finally:
        if kernel.poll() is None:
            kernel.kill()
        kernel.wait()
    unmarked = Path(tempfile.mkdtemp(prefix="lambdanb-"))  # a folder of some other program: never touched
    try:
        leftovers.sweep()  # a kernel that starts cleans what the dead one left
        assert not any(Path(folder).exists() for folder in seen["folders"])
        assert unmarked.exists()
    finally:
        unmarked.rmdir()
    if cgroups.available():
        assert not [p for p in (cgroups.ROOT / "freezer").iterdir() if p.name.startswith(f"lambdanb-{kernel.pid}-")]


FORKED_AS_THE_KERNEL_ENDS = '''
import os, signal
from lambdanb.sandbox import guardian
signal.signal(signal.SIGTERM, guardian._stop)  # the template's handler, which a forked process keeps at first
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGTERM))  # the kernel ends just then
pid = os.fork()
if pid == 0:
    os._exit(0)  # not reached when the signal ended it
print(os.waitpid(pid, 0)[1])
'''


def test_a_process_the_template_is_forking_when_the_kernel_ends_leaves_quietly():
    # At its exit, the kernel terminates the processes it started, a spare still being forked among them: the
    # template's handler must end that copy of itself at once, not raise where Python only prints the error.
    out = subprocess.run([sys.executable, "-c", FORKED_AS_THE_KERNEL_ENDS], capture_output=True, text=True,
                         timeout=60)
    assert out.stderr == ""
    assert os.waitstatus_to_exitcode(int(out.stdout)) == 128 + signal.SIGTERM
