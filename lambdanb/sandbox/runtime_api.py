"""Lambda's Runtime API inside an execution environment, for runtimes other than the native Python one:
the runtime process (a custom `bootstrap`, AWS's awslambdaric, or lambdanb's Node.js client) long-polls it."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NoReturn

from . import errors
from .worker import trace_id

PREFIX = "/2018-06-01/runtime"
_ERROR_TYPE = re.compile(r"(Runtime|Function)\.[A-Z][a-zA-Z]+")


class RuntimeAPI:
    """The platform's side of one runtime process: INIT ends at its first /next; each invoke is handed out by
    /invocation/next and ends with /response or /error (or the process exiting)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._pending: tuple[dict, bytes] | None = None  # an invoke waiting for /next
        self._current: str | None = None  # request id handed out, not answered yet
        self._result: tuple[str, bytes] | None = None
        self._init_error: dict | None = None
        self._ready = False
        self.exit_status: int | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True, name="runtime-api").start()

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host!s}:{port}"

    def watch(self, process: subprocess.Popen) -> None:
        def wait() -> None:
            status = process.wait()
            with self._changed:
                self.exit_status = status
                self._changed.notify_all()
        threading.Thread(target=wait, daemon=True, name="runtime-process").start()

    def wait_for_init(self) -> dict | None:
        """None once the runtime asked for its first event; else Lambda's payload for the failed INIT."""
        with self._changed:
            while not (self._ready or self._init_error or self.exit_status is not None):
                self._changed.wait()
            if self._ready:
                return None
            if self._init_error:
                return self._init_error
            return errors.runtime_error("Runtime.ExitError",
                                        f"Runtime exited with error: exit status {self.exit_status}")

    def invoke(self, meta: dict, body: bytes) -> tuple[str, bytes] | None:
        """Hand one event to the runtime; ("ok" | "error", payload), or None if the runtime process ended."""
        with self._changed:
            self._pending, self._result = (meta, body), None
            self._changed.notify_all()
            while self._result is None and self.exit_status is None:
                self._changed.wait()
            self._pending = self._current = None
            return self._result

    # called by the HTTP handler threads

    def next_event(self) -> tuple[dict, bytes]:
        with self._changed:
            self._ready = True
            self._changed.notify_all()
            while self._pending is None:
                self._changed.wait()
            meta, body = self._pending
            self._pending = None
            self._current = meta["id"]
            return meta, body

    def answer(self, request_id: str, outcome: str, payload: bytes) -> tuple[int, dict]:
        with self._changed:
            if request_id != self._current:
                return 400, {"errorMessage": f"Invalid request ID: {request_id}", "errorType": "InvalidRequestID"}
            if self._result is not None:
                return 403, {"errorMessage": "Invalid state transition", "errorType": "InvalidStateTransition"}
            if outcome == "ok" and len(payload) > errors.MAX_RESPONSE_BYTES:
                self._result = ("failed", json.dumps(errors.response_too_large()).encode())
                self._changed.notify_all()
                return 413, {"errorMessage": f"Exceeded maximum allowed payload size "
                                             f"({errors.MAX_RESPONSE_BYTES} bytes).",
                             "errorType": "RequestEntityTooLarge"}
            self._result = (outcome, payload)
            self._changed.notify_all()
            return 202, {"status": "OK"}

    def init_failed(self, payload: dict) -> tuple[int, dict]:
        with self._changed:
            if self._ready:
                return 403, {"errorMessage": "Invalid state transition", "errorType": "InvalidStateTransition"}
            self._init_error = payload
            self._changed.notify_all()
            return 202, {"status": "OK"}


def error_payload(body: bytes, header_type: str | None, request_id: str) -> dict:
    """The error a runtime reported: its own JSON when it sent an object with errorType, as Lambda passes it
    on; otherwise an error type from the header, scrubbed to Runtime.Unknown unless it is Runtime.X or Function.X."""
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        payload = {"errorMessage": body.decode("utf-8", "replace")}
    if isinstance(payload, dict) and payload.get("errorType"):
        return payload
    error_type = header_type if header_type and _ERROR_TYPE.fullmatch(header_type) else "Runtime.Unknown"
    message = payload.get("errorMessage", "") if isinstance(payload, dict) else json.dumps(payload)
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": []}


def _handler_for(api: RuntimeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # the runtime API writes nothing to the log
            pass

        def _reply(self, status: int, document: dict | None = None, body: bytes | None = None,
                   headers: dict | None = None) -> None:
            data = body if body is not None else json.dumps(document or {}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._reply(404, {"errorMessage": "not found", "errorType": "NotFound"})
                return
            meta, body = api.next_event()
            headers = {"Lambda-Runtime-Aws-Request-Id": meta["id"],
                       "Lambda-Runtime-Deadline-Ms": str(meta["deadline_ms"]),
                       "Lambda-Runtime-Invoked-Function-Arn": meta["arn"],
                       "Lambda-Runtime-Trace-Id": trace_id()}
            if meta.get("client_context") is not None:
                headers["Lambda-Runtime-Client-Context"] = json.dumps(meta["client_context"])
            if meta.get("identity") is not None:
                headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(meta["identity"])
            self._reply(200, body=body, headers=headers)

        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            parts = self.path[len(PREFIX):].strip("/").split("/")
            if parts == ["init", "error"]:
                self._reply(*api.init_failed(error_payload(body, error_type, "")))
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] == "response":
                self._reply(*api.answer(parts[1], "ok", body))
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] == "error":
                payload = json.dumps(error_payload(body, error_type, parts[1])).encode()
                self._reply(*api.answer(parts[1], "error", payload))
            else:
                self._reply(404, {"errorMessage": "not found", "errorType": "NotFound"})

    return Handler


def exit_like(status: int) -> NoReturn:
    """End this process the way the runtime process ended, so the platform reports the same exit."""
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    os._exit(status)


def _peak_mb(process: subprocess.Popen) -> int:
    """Peak resident memory of the runtime process (VmHWM), or of this one if larger, in MB."""
    from .limits import peak_memory_mb
    try:
        with open(f"/proc/{process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return max(-(-int(line.split()[1]) // 1024), peak_memory_mb())
    except OSError:
        pass
    return peak_memory_mb()


def serve(fd: int, setup: dict, started: float, done: dict) -> None:
    """The environment's loop for a Runtime API runtime: start the runtime process, wait for INIT, relay invokes.
    `done` goes into the INIT answer, as the native runtime sends it."""
    from . import wire
    from .worker import answer_once
    api = RuntimeAPI()
    environ = dict(os.environ, AWS_LAMBDA_RUNTIME_API=api.address)
    try:
        process = subprocess.Popen(setup["command"], cwd=setup["task_root"], env=environ, stdin=subprocess.DEVNULL)
    except OSError as error:
        payload = errors.runtime_error("Runtime.InvalidEntrypoint", f"Couldn't start the runtime: {error}")
        answer_once(fd, {**done, "init_ms": (time.perf_counter() - started) * 1000, "error": payload, "peak_mb": 0})
        os._exit(1)
    api.watch(process)
    failure = api.wait_for_init()
    answer_once(fd, {**done, "init_ms": (time.perf_counter() - started) * 1000, "error": failure,
                     "peak_mb": _peak_mb(process)})
    if failure is not None:
        process.kill()
        os._exit(1)
    while True:
        try:
            meta, body = wire.receive(fd)
        except EOFError:
            process.kill()
            os._exit(0)
        begun = time.perf_counter()
        result = api.invoke(meta, body)
        if result is None:
            exit_like(api.exit_status if api.exit_status is not None else 1)
        status, response = result
        answer_once(fd, {"id": meta["id"], "status": status, "duration_ms": (time.perf_counter() - begun) * 1000,
                         "peak_mb": _peak_mb(process)}, response)
