"""Child side of an execution environment: INIT imports the deployment package, then the runtime loop runs invokes.

This module is preloaded in the template (forkserver) process, so it imports only the standard library.
"""
from __future__ import annotations

import decimal
import importlib
import io
import json
import logging
import os
import resource
import signal
import sys
import sysconfig
import time
from collections.abc import Callable
from typing import Any

from . import errors, limits, seal, wire
from .context import LambdaContext

_RUNTIME_FILES = (__file__, wire.__file__, importlib.__file__)
# Where placement says a function imports from: readable inside the sealed environment.
IMPORT_VARIABLES = ("LAMBDANB_SYS_PATH", "PYTHONPATH", "NODE_PATH", "LAMBDANB_OPT")
_FIXED_TIMESTAMP = "2026-01-01T00:00:00.000Z"  # logging timestamps in deterministic mode
# Found once in the template: sysconfig works them out slowly, in every new environment otherwise.
_STANDARD_LIBRARY = tuple({sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib")})


class LogWriter(io.TextIOBase):
    """sys.stdout and sys.stderr of the function: every write goes straight to the environment's log file.

    Output past the per-invocation cap is counted, not written, so a print loop cannot flood the kernel.
    """

    def __init__(self, fd: int, cap: int) -> None:
        self._fd = fd
        self.cap = cap
        self.written = 0
        self.dropped = 0

    def write(self, text: str) -> int:
        data = text.encode("utf-8", "replace")
        if self.written + len(data) > self.cap:
            self.dropped += len(data)
        else:
            self.written += len(data)
            os.write(self._fd, data)
        return len(text)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    @property
    def encoding(self) -> str:  # type: ignore[override]  # TextIOBase declares it a plain attribute
        return "utf-8"

    def start_invocation(self) -> None:
        self.written = self.dropped = 0

    def end_invocation(self) -> None:
        if self.dropped:
            os.write(self._fd, f"[lambdanb] {self.dropped} bytes of output were dropped: this invocation "
                               f"printed more than {self.cap} bytes\n".encode())


class LambdaLogHandler(logging.Handler):
    """The Python runtime's log line: [LEVEL]<tab>timestamp<tab>request id<tab>message."""

    def __init__(self, fixed_clock: bool) -> None:
        super().__init__()
        self.request_id = ""
        self.fixed_clock = fixed_clock

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.fixed_clock:
                stamp = _FIXED_TIMESTAMP
            else:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + \
                    f".{int(record.msecs):03d}Z"
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            line = f"[{record.levelname}]\t{stamp}\t{self.request_id}\t{message}"
            sys.stdout.write(line.replace("\n", "\r") + "\n")
        except Exception:
            self.handleError(record)


def _log_error(payload: dict) -> None:
    """The runtime's one-event error line: [ERROR] Type: message, then the traceback, joined by \\r."""
    lines = [f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"]
    if payload.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in payload["stackTrace"]:
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\r".join(lines) + "\n")


def _load_handler(handler: str, task_root: str) -> Callable[[Any, Any], Any]:
    """Import the handler's module once per environment; failures become the Runtime.* init errors."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise _InitError("Runtime.MalformedHandlerName", f"Bad handler '{handler}': {error}") from None
    module_name = module_name.replace("/", ".")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise _InitError("Runtime.BuiltInModuleConflict",
                         f"Cannot use built-in module {module_name} as a handler module")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise _InitError("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}") from None
    except SyntaxError as error:
        frame = f'  File "{(error.filename or "").replace(task_root, errors.TASK_ROOT_SHOWN)}" Line {error.lineno}\n' \
                f"    {(error.text or '').strip()}\n"
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}",
                         [frame]) from None
    except Exception as error:
        frames = errors.user_frames(error.__traceback__, task_root, _RUNTIME_FILES)
        raise _InitError(type(error).__name__, str(error), frames) from None
    try:
        handler_function: Callable[[Any, Any], Any] = getattr(module, function_name)
    except AttributeError:
        raise _InitError("Runtime.HandlerNotFound",
                         f"Handler '{function_name}' missing on module '{module_name}'") from None
    return handler_function


class _InitError(Exception):
    def __init__(self, error_type: str, message: str, frames: list[str] | None = None) -> None:
        super().__init__(message)
        self.payload = errors.runtime_error(error_type, message, "", frames)


def _too_large() -> bytes:
    """Function.ResponseSizeTooLarge, logged as the platform logs it."""
    payload = errors.response_too_large()
    sys.stdout.write(f"[ERROR] {payload['errorType']}: {payload['errorMessage']}\n")
    return json.dumps(payload).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # the runtime's simplejson writes Decimal as a number
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def trace_id() -> str:
    """A new X-Ray trace header, as Lambda gives each invoke (not sampled: nothing is sent to X-Ray)."""
    random = os.urandom(20).hex()
    return f"Root=1-{int(time.time()):08x}-{random[:24]};Parent={random[24:]};Sampled=0"


def _from_kernel(name: str, module: Any) -> bool:
    """A module the template imported from the kernel's packages (multiprocess, dill ...), not the standard library
    or this runtime."""
    file = getattr(module, "__file__", None) or ""
    runtime = name == "lambdanb" or name.startswith("lambdanb.sandbox")
    return bool(file) and not runtime and (not file.startswith(_STANDARD_LIBRARY) or "-packages" in file)


_template_modules: frozenset[str] = frozenset()  # what the template had imported, when it said so
_kernel_modules: tuple[str, ...] = ()  # which of them an environment forgets
_forgotten: list[Any] = []


def remember_template_modules() -> None:
    """Called in the template once its imports are done: which of its modules an environment forgets is worked out
    here, once, because every module an environment looks at copies the memory page it lies on."""
    global _template_modules, _kernel_modules
    _template_modules = frozenset(sys.modules)
    _kernel_modules = tuple(name for name in _template_modules if _from_kernel(name, sys.modules[name]))


def _forget_kernel_modules() -> None:
    """The template process imported lambdanb's sandbox, and with it packages of the kernel's (multiprocess, dill
    ...): they leave sys.modules, so that the function imports only what its own path gives it. The standard
    library and this runtime stay. The modules forgotten are kept, not freed: freeing them would write to all of
    them."""
    modules = sys.modules
    imported_since = [name for name in modules.keys() - _template_modules if _from_kernel(name, modules[name])]
    for name in (*_kernel_modules, *imported_since):
        if name in modules:
            _forgotten.append(modules.pop(name))


def _not_loaded(event: Any, context: Any) -> Any:
    raise RuntimeError("the handler is called before INIT loaded it")


class Company:
    """Whether anything of this environment could run while it waits for its next invoke. Nothing can when it is
    one thread that never had a child process and has no timer set, blocked reading its pipe: the service then
    leaves it unfrozen and saves two signals per warm invoke. Anything else is frozen, as Lambda freezes its
    microVM. (A signal sent by another process could still run a Python signal handler of a lone environment;
    nothing sends one unasked.)"""

    def __init__(self) -> None:
        pid = os.getpid()
        self._threads = self._children = self._timers = -1
        try:  # Linux lists threads, children and POSIX timers of a process in /proc
            self._threads = os.open(f"/proc/{pid}/task", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            self._children = os.open(f"/proc/{pid}/task/{pid}/children", os.O_RDONLY | os.O_CLOEXEC)
            self._timers = os.open(f"/proc/{pid}/timers", os.O_RDONLY | os.O_CLOEXEC)
            found = os.fstat(self._threads)
            self._identity = (found.st_dev, found.st_ino)
        except OSError:
            self._identity = (-1, -1)  # never alone: always frozen

    def alone(self) -> bool:
        if (signal.getitimer(signal.ITIMER_REAL)[0] or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                or signal.getsignal(signal.SIGCHLD) is not signal.SIG_DFL):
            # An alarm would wake it; a child it waited for may have left grandchildren running (and with SIGCHLD
            # ignored or handled, its children may come and go uncounted).
            return False
        try:
            threads = os.fstat(self._threads)  # a task folder links to itself, its parent and each thread
            return ((threads.st_dev, threads.st_ino) == self._identity and threads.st_nlink == 3
                    and not os.pread(self._children, 1, 0) and not os.pread(self._timers, 1, 0))
        except OSError:  # the function closed them
            return False


class Runtime:
    """The runtime loop of one environment: receive an event, run the handler, answer."""

    def __init__(self, fd: int, setup: dict[str, Any], handler: Callable[[Any, Any], Any] | None, log_fd: int,
                 stdout: LogWriter,
                 log_handler: LambdaLogHandler) -> None:
        self.fd = fd
        self.setup = setup
        self.handler: Callable[[Any, Any], Any] = handler or _not_loaded
        self.log_fd = log_fd
        self.stdout = stdout
        self.log_handler = log_handler
        # Made once: json.dumps with options builds an encoder on every call
        self.encode_response = json.JSONEncoder(default=_json_default,
                                                ensure_ascii=setup["runtime"] < "python3.12").encode
        self.company = Company()

    def serve(self) -> None:
        while True:
            meta, body = wire.receive(self.fd)
            answer, response = self.invoke(meta, body)
            answer_once(self.fd, answer, response)

    def invoke(self, meta: dict, body: bytes) -> tuple[dict, bytes]:
        request_id = meta["id"]
        self.reset_output()
        self.log_handler.request_id = request_id
        context = LambdaContext(
            request_id=request_id, function_name=self.setup["function_name"],
            function_version=self.setup["version"], invoked_function_arn=meta["arn"],
            memory_limit_in_mb=str(self.setup["memory_mb"]), log_group_name=self.setup["log_group"],
            log_stream_name=self.setup["log_stream"], deadline_ms=meta["deadline_ms"],
            identity=meta.get("identity"), client_context=meta.get("client_context"))
        started = time.perf_counter()
        os.environ["_X_AMZN_TRACE_ID"] = trace_id()  # kept until the next invoke replaces it, as AWS's runtime does
        status, response = "ok", b""
        try:
            event = json.loads(body) if body else None
        except ValueError as error:
            status, response = self._error(errors.runtime_error(
                "Runtime.UnmarshalError", f"Unable to unmarshal input: {error}", request_id))
        else:
            try:
                result = self.handler(event, context)
            except SystemExit as leaving:
                self._exit(leaving)
            except MemoryError:
                return {"id": request_id, "status": "oom", "peak_mb": limits.peak_memory_mb()}, b""
            except Exception as error:
                frames = errors.user_frames(error.__traceback__, self.setup["task_root"], _RUNTIME_FILES)
                status, response = self._error(errors.unhandled(error, request_id, frames))
            else:
                status, response = self._encode(result, request_id)
        duration_ms = (time.perf_counter() - started) * 1000
        if status == "ok" and len(response) > errors.MAX_RESPONSE_BYTES:  # checked here: the service never
            status, response = "failed", _too_large()                     # buffers an oversize answer
        self.stdout.end_invocation()
        return {"id": request_id, "status": status, "duration_ms": duration_ms,
                "peak_mb": limits.peak_memory_mb(), "alone": self.company.alone(), "output": self.wrote()}, response

    def wrote(self) -> bool:
        """Whether the log file holds output for the service to read (it empties the file when it reads it): said
        with the answer, so that the service's side makes no system call of its own to find out."""
        try:
            return os.fstat(self.log_fd).st_size > 0
        except OSError:  # the function closed it: the service looks for itself
            return True

    def _encode(self, result: Any, request_id: str) -> tuple[str, bytes]:
        if isinstance(result, (bytes, bytearray)):
            return "ok", bytes(result)
        try:
            return "ok", self.encode_response(result).encode()
        except (TypeError, ValueError, OverflowError) as error:
            return self._error(errors.runtime_error(
                "Runtime.MarshalError", f"Unable to marshal response: {error}", request_id))

    def _error(self, payload: dict) -> tuple[str, bytes]:
        _log_error(payload)
        return "error", json.dumps(payload).encode()

    def reset_output(self) -> None:
        """Undo what the last invocation may have done to its output: closed, replaced or redirected streams."""
        os.dup2(self.log_fd, 1)
        os.dup2(self.log_fd, 2)
        sys.stdout = sys.stderr = self.stdout
        self.stdout.start_invocation()

    @staticmethod
    def _exit(leaving: SystemExit) -> None:
        code = leaving.code
        if code is not None and not isinstance(code, int):
            sys.stdout.write(f"{code}\n")
            code = 1
        os._exit(code or 0)


def _let_go_of_the_kernel() -> None:
    """Close what the forkserver handed down from the kernel: its liveness pipe and the resource tracker's pipe
    (so that neither outlives the kernel because an environment holds them), and its signal handlers."""
    from multiprocess import forkserver, resource_tracker
    for owner, name in ((forkserver._forkserver, "_forkserver_alive_fd"),
                        (resource_tracker._resource_tracker, "_fd")):
        fd = getattr(owner, name, None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
            setattr(owner, name, None)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


_owner_pid = 0  # the environment's own process: the only one that answers the service


def _guard_channel(fd: int) -> None:
    """One invocation, one answer: a process the function forks loses the environment's pipe at once."""
    global _owner_pid
    _owner_pid = os.getpid()

    def forked() -> None:
        try:
            os.close(fd)
        except OSError:
            pass
    os.register_at_fork(after_in_child=forked)


def answer_once(fd: int, meta: dict, body: bytes = b"") -> None:
    """Send an answer, unless this is a copy the function forked that came back into the runtime: it leaves."""
    if os.getpid() != _owner_pid:
        os._exit(0)
    wire.send(fd, meta, body)


def main(connection: Any) -> None:
    """Entry point of a new environment process (the target of its multiprocess.Process)."""
    os.setsid()  # its own session and process group, first: the kernel's interrupts and group signals stay out
    fd = os.dup(connection.fileno())
    connection.close()
    _let_go_of_the_kernel()
    try:
        setup, _ = wire.receive(fd)  # a spare process waits here until a function needs it
    except EOFError:
        os._exit(0)  # the service closed without using it
    started = time.perf_counter()
    _guard_channel(fd)
    limits.apply_inside(setup["memory_mb"], setup["ephemeral_storage_mb"])
    log_fd = os.open(setup["log_path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    imports = [path for name in IMPORT_VARIABLES for path in setup["environ"].get(name, "").split(os.pathsep) if path]
    unsealed = seal.seal(setup["task_root"], setup["ephemeral_storage_mb"], setup["environ"].get("HOME"),
                         setup.get("command"), imports) if setup["seal"] else None
    os.environ.clear()
    os.environ.update(setup["environ"])
    time.tzset()
    os.chdir(setup["task_root"])
    # What the function imports from after its task root (layers, the runtime's packages, the standard library),
    # set by placement; not one of Lambda's variables, so the function does not see it.
    sys_path = os.environ.pop("LAMBDANB_SYS_PATH", None)
    sys.path[:] = [setup["task_root"], *(sys_path.split(os.pathsep) if sys_path is not None else sys.path)]
    if sys_path is not None:
        _forget_kernel_modules()
    sys.dont_write_bytecode = True  # the task root is read-only on Lambda: no __pycache__ there
    stdout = LogWriter(1, setup["max_output_bytes"])
    log_handler = LambdaLogHandler(setup["fixed_clock"])
    logging.root.handlers[:] = [log_handler]
    runtime = Runtime(fd, setup, None, log_fd, stdout, log_handler)
    runtime.reset_output()
    os.close(0)
    os.open(os.devnull, os.O_RDONLY)  # fd 0: the function reads nothing from the kernel
    done = {"unsealed": unsealed}  # what every INIT answer says besides its outcome
    if setup.get("command"):  # a runtime other than the native Python one: it talks to the Runtime API
        from . import runtime_api
        runtime_api.serve(fd, setup, started, done)
    try:
        runtime.handler = _load_handler(setup["handler"], setup["task_root"])
    except _InitError as failure:
        _log_error(failure.payload)
        answer_once(fd, {**done, "init_ms": (time.perf_counter() - started) * 1000, "error": failure.payload,
                         "peak_mb": limits.peak_memory_mb()})
        os._exit(1)
    except SystemExit as leaving:
        Runtime._exit(leaving)
    except MemoryError:
        answer_once(fd, {**done, "init_ms": 0, "error": "oom", "peak_mb": limits.peak_memory_mb()})
        os._exit(1)
    answer_once(fd, {**done, "init_ms": (time.perf_counter() - started) * 1000, "error": None,
                     "peak_mb": limits.peak_memory_mb(), "alone": runtime.company.alone()})
    try:
        runtime.serve()
    except EOFError:
        os._exit(0)
