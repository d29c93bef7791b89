"""A sealed environment: its own /tmp of the function's ephemeral storage, no /dev/shm, a read-only task root;
it cannot write other functions' code, nor read or write the user's files, nor read the memory of another
environment or of the kernel; a handler cannot name a file outside its package."""
from __future__ import annotations

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from lambdanb.errors import ValidationException
from lambdanb.runtimes import handler_file
from lambdanb.sandbox.environment import EnvironmentSpec, ExecutionEnvironment
from lambdanb.sandbox.limits import MB, MemoryWatchdog

pytestmark = pytest.mark.skipif(
    subprocess.run(["unshare", "-Urm", "true"], capture_output=True).returncode != 0,
    reason="this machine refuses user and mount namespaces: environments run unsealed")

TRY = '''
import os
def attempt(action):
    try:
        action()
        return "done"
    except OSError as error:
        return error.strerror
'''


def test_tmp_is_private_and_sized_by_ephemeral_storage(service):
    name = f"lambdanb-private-{uuid.uuid4().hex}"
    service.create_function("writer", f"import os\ndef lambda_handler(e, c):\n"
                                      f"    open('/tmp/{name}', 'w').write('mine')\n"
                                      f"    stats = os.statvfs('/tmp')\n"
                                      f"    return [os.path.exists('/tmp/{name}'), stats.f_blocks * stats.f_frsize]\n")
    service.create_function("reader", f"import os\ndef lambda_handler(e, c):\n"
                                      f"    return os.path.exists('/tmp/{name}')\n")
    assert service.invoke("writer").payload == [True, 512 * MB]
    assert service.invoke("reader").payload is False
    assert not os.path.exists(f"/tmp/{name}")


def test_a_full_tmp_says_no_space_left_on_device(tmp_path):
    task_root = tmp_path / "task"
    task_root.mkdir()
    (task_root / "lambda_function.py").write_text(
        "def lambda_handler(e, c):\n"
        "    try:\n"
        "        for number in range(4):\n"
        "            open(f'/tmp/part{number}', 'wb').write(bytes(3 * 1024 * 1024))\n"
        "    except OSError as error:\n"
        "        return error.strerror\n"
        "    return 'all written'\n")
    spec = EnvironmentSpec(function_name="full", version="$LATEST", runtime="python3.12",
                           handler="lambda_function.lambda_handler", task_root=str(task_root), memory_mb=256,
                           timeout_s=30, environ={"PATH": os.environ["PATH"]}, log_group="/aws/lambda/full",
                           log_stream="stream", ephemeral_storage_mb=8)
    watchdog = MemoryWatchdog()
    environment = ExecutionEnvironment(spec, tmp_path / "environment", watchdog)
    try:
        assert environment.start().error is None
        assert environment.run("request", b"{}", "arn").response == b'"No space left on device"'
    finally:
        environment.close()
        watchdog.stop()


def test_no_shared_memory_and_a_read_only_task_root(service):
    service.create_function("poke", TRY + "def lambda_handler(e, c):\n"
                                          "    return [attempt(lambda: open('/dev/shm/x', 'w')),\n"
                                          "            attempt(lambda: open(__file__, 'a')),\n"
                                          "            attempt(lambda: open('/tmp/fine', 'w'))]\n")
    assert service.invoke("poke").payload == ["Read-only file system", "Read-only file system", "done"]


def test_a_function_cannot_touch_another_function_or_the_users_files(service):
    service.create_function("victim", "def lambda_handler(e, c):\n    return 'original'\n")
    victim_code = Path(service.get_function("victim").task_root) / "lambda_function.py"
    users_file = Path.home() / f".lambdanb-test-{uuid.uuid4().hex}"
    users_file.write_text("the user's")
    try:
        service.create_function("attacker", TRY + "def lambda_handler(e, c):\n"
                                                  "    evil = 'def lambda_handler(e, c):\\n    return \"owned\"\\n'\n"
                                                  "    return [attempt(lambda: open(path, 'w').write(evil)) "
                                                  "for path in e]\n")
        results = service.invoke("attacker", [str(victim_code), str(users_file), str(users_file) + ".new"]).payload
        assert all(result != "done" for result in results), results
        service.create_function("reader", TRY + "def lambda_handler(e, c):\n"
                                                "    return [attempt(lambda: open(e).read()),\n"
                                                "            attempt(lambda: __import__('os').listdir(__import__('os').path.dirname(e)))]\n")
        assert service.invoke("reader", str(users_file)).payload == [os.strerror(errno.EACCES)] * 2
        assert service.invoke("victim").payload == "original"
        assert users_file.read_text() == "the user's" and not Path(str(users_file) + ".new").exists()
    finally:
        users_file.unlink()


def test_an_environment_cannot_read_another_ones_memory_nor_the_kernels(service):
    service.create_function("holder", "import os\nsecret = 'hunter2'\ndef lambda_handler(e, c):\n"
                                      "    return os.getpid()\n")
    pid = service.invoke("holder").payload
    service.create_function("snoop", TRY + "def lambda_handler(e, c):\n"
                                           "    return [attempt(lambda: open(f'/proc/{e}/mem', 'rb').read(1)),\n"
                                           "            attempt(lambda: open(f'/proc/{e}/environ', 'rb').read())]\n")
    assert service.invoke("snoop", pid).payload == [os.strerror(errno.EACCES)] * 2
    assert service.invoke("snoop", os.getpid()).payload == [os.strerror(errno.EACCES)] * 2


@pytest.mark.parametrize("runtime, handler", [("nodejs20.x", "../../../../escape/x.handler"),
                                              ("python3.12", "/abs/dir/x.lambda_handler"),
                                              ("python3.12", "..escape.lambda_handler")])
def test_a_handler_names_a_file_inside_the_package(runtime, handler):
    with pytest.raises(ValidationException, match="Member must name a file inside the deployment package"):
        handler_file(runtime, handler, "")


def test_creating_a_function_with_an_escaping_handler_writes_nothing(service):
    with pytest.raises(ValidationException):
        service.create_function("escape", "def lambda_handler(e, c):\n    return 1\n",
                                handler="/tmp/lambdanb-escape/x.lambda_handler")
    assert not os.path.exists("/tmp/lambdanb-escape/x.py")


def _landlock_abi() -> int:
    import ctypes
    return ctypes.CDLL(None).syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))


@pytest.mark.skipif(_landlock_abi() < 6, reason="signal scoping needs Landlock ABI 6 (Linux 6.12)")
def test_a_function_cannot_signal_the_kernel(service):
    service.create_function("signaller", "import os\ndef lambda_handler(e, c):\n"
                                         "    try:\n        os.kill(e, 0)\n        return 'reached'\n"
                                         "    except OSError as error:\n        return error.strerror\n")
    assert service.invoke("signaller", os.getpid()).payload == os.strerror(errno.EPERM)


def test_ephemeral_storage_sizes_tmp_and_is_validated(service):
    from lambdanb.errors import ValidationException
    service.create_function("roomy", "import os\ndef lambda_handler(e, c):\n    s = os.statvfs('/tmp')\n"
                                     "    return s.f_blocks * s.f_frsize // 2**20\n", ephemeral_storage=1024)
    assert service.invoke("roomy").payload == 1024
    assert service.get_function("roomy").ephemeral_storage == 1024
    with pytest.raises(ValidationException, match="ephemeralStorage.size"):
        service.update_function_configuration("roomy", ephemeral_storage=20000)
