"""Lambda's error taxonomy: the exact errorType and errorMessage of each runtime and platform error."""
from __future__ import annotations

import signal
import traceback
from types import TracebackType

# The platform refuses a response larger than 6 MiB plus 100 bytes.
MAX_RESPONSE_BYTES = 6_291_556
TASK_ROOT_SHOWN = "/var/task"


def unhandled(exc: BaseException, request_id: str, frames: list[str]) -> dict:
    """The payload of an exception that escaped the handler (awslambdaric's make_error)."""
    return {"errorMessage": str(exc), "errorType": type(exc).__name__,
            "requestId": request_id, "stackTrace": frames}


def runtime_error(error_type: str, message: str, request_id: str = "", frames: list[str] | None = None) -> dict:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id,
            "stackTrace": frames or []}


def user_frames(tb: TracebackType | None, task_root: str, runtime_files: tuple[str, ...]) -> list[str]:
    """The stack trace as Lambda shows it: the runtime's own frames left out, the task root shown as /var/task."""
    frames = [f for f in traceback.extract_tb(tb) if f.filename not in runtime_files]
    return [line.replace(task_root, TASK_ROOT_SHOWN) for line in traceback.format_list(frames)]


def timed_out(request_id: str, timeout_s: int) -> dict:
    return {"errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"}


def out_of_memory(request_id: str) -> dict:
    return {"errorType": "Runtime.OutOfMemory",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"}


def exited(request_id: str, exitcode: int | None) -> dict:
    """Runtime.ExitError for a runtime process that ended without answering, in the words Lambda uses."""
    if exitcode == 0:
        reason = "Runtime exited without providing a reason"
    elif exitcode is not None and exitcode < 0:
        reason = f"Runtime exited with error: signal: {_signal_words(-exitcode)}"
    else:
        reason = f"Runtime exited with error: exit status {exitcode if exitcode is not None else 1}"
    return {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {request_id} Error: {reason}"}


def response_too_large() -> dict[str, str]:
    return {"errorType": "Function.ResponseSizeTooLarge", "errorMessage":
            f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."}


def _signal_words(number: int) -> str:
    """Go's wording for a signal, as Lambda's platform (written in Go) prints it."""
    words = {signal.SIGKILL: "killed", signal.SIGSEGV: "segmentation fault", signal.SIGABRT: "aborted",
             signal.SIGTERM: "terminated", signal.SIGBUS: "bus error", signal.SIGFPE: "floating point exception",
             signal.SIGILL: "illegal instruction", signal.SIGINT: "interrupt", signal.SIGHUP: "hangup",
             signal.SIGPIPE: "broken pipe", signal.SIGXFSZ: "file size limit exceeded"}
    return words.get(signal.Signals(number), f"signal {number}") if number in signal.valid_signals() \
        else f"signal {number}"
