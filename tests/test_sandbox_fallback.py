"""Where the machine refuses user namespaces, environments run as before and the kernel says so once."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KERNEL = '''
from lambdanb.service.lambda_service import LambdaService as Service
service = Service()
try:
    for name in ("one", "two"):
        service.create_function(name, "import os\\ndef lambda_handler(e, c):\\n    return os.statvfs('/tmp').f_blocks\\n")
        print(service.invoke(name).payload == os.statvfs("/tmp").f_blocks, flush=True)
finally:
    service.close()
'''


def test_refused_namespaces_mean_one_warning_and_environments_that_still_work(tmp_path):
    refusing = subprocess.run(["unshare", "-Ur", "sh", "-c", "echo 0 > /proc/sys/user/max_user_namespaces"],
                              capture_output=True)
    if refusing.returncode != 0:
        pytest.skip("cannot make a namespace that refuses user namespaces here")
    script = tmp_path / "kernel.py"
    script.write_text("import os\n" + KERNEL)
    environ = {**os.environ,
               "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent.parent), os.environ.get("PYTHONPATH", "")])}
    # The kernel runs in a user namespace that allows no namespace below it: sealing is refused.
    done = subprocess.run(["unshare", "-Ur", "sh", "-c", 'echo 0 > /proc/sys/user/max_user_namespaces && '
                           'exec "$0" "$1"', sys.executable, str(script)],
                          capture_output=True, text=True, env=environ, timeout=120)
    assert done.stdout.split() == ["True", "True"], done.stderr  # the machine's /tmp, as before
    warnings = [line for line in done.stderr.splitlines() if "not sealed" in line]
    assert warnings == ["lambdanb: execution environments are not sealed on this machine: user and mount "
                        "namespaces are not available (unshare: No space left on device); functions share /tmp "
                        "and /dev/shm and can write where the kernel can."]
