"""Parent-side handle of one execution environment: starts its process, sends it invokes, enforces its limits."""
from __future__ import annotations

import json
import os
import select
import time
from dataclasses import dataclass
from pathlib import Path

from . import errors, limits, template, wire

INIT_LIMIT_S = 10  # Lambda's limit on the INIT phase of an on-demand environment


@dataclass
class EnvironmentSpec:
    """Everything an environment needs to know about the function it runs."""

    function_name: str
    version: str
    runtime: str
    handler: str
    task_root: str
    memory_mb: int
    timeout_s: int
    environ: dict[str, str]
    log_group: str
    log_stream: str
    fixed_clock: bool = False
    max_output_bytes: int = 1024 * 1024
    command: list[str] | None = None  # the runtime process, for runtimes that use the Runtime API


@dataclass
class InitResult:
    init_ms: float
    output: str
    error: dict | None = None  # Lambda's payload when INIT failed
    timed_out: bool = False

    @property
    def error_type(self) -> str | None:
        return self.error["errorType"] if self.error else None


@dataclass
class RunResult:
    """What came back from one invoke: the response bytes and what the platform measured."""

    status: str  # "ok", "error" (reported by the runtime), "failed" (seen by the platform), "timeout", "oom", "exit"
    response: bytes
    duration_ms: float
    peak_mb: int
    output: str

    @property
    def error_type(self) -> str | None:
        if self.status in ("error", "failed"):
            return json.loads(self.response).get("errorType")
        return {"timeout": "Sandbox.Timedout", "oom": "Runtime.OutOfMemory", "exit": "Runtime.ExitError"}.get(self.status)


class ExecutionEnvironment:
    """One execution environment (an OS process in its own session), reused warm between invokes."""

    def __init__(self, spec: EnvironmentSpec, workdir: Path, watchdog: limits.MemoryWatchdog) -> None:
        self.spec = spec
        self.workdir = workdir
        self.watchdog = watchdog
        self.starts = 0  # the first start is a cold start; later ones re-initialise after a reset
        self.born = time.monotonic()
        self.provisioned = False
        self.idle_since = self.born
        self.peak_mb = 0
        self.process = None
        self._fd = -1
        self._poller = select.poll()
        self._out_of_memory = False
        workdir.mkdir(parents=True, exist_ok=True)
        self._log_path = workdir / "output.log"
        self._log_fd = os.open(self._log_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    @property
    def alive(self) -> bool:
        return self.process is not None and self._fd >= 0

    def start(self, request_id: str = "") -> InitResult:
        """Create the process and run INIT (import the handler module) in it."""
        self.starts += 1
        self.process, self._fd = template.spare.take()
        # Only our own pipe is watched: multiprocess's sentinel stays readable once the template process is gone.
        self._poller.register(self._fd, select.POLLIN)
        self._out_of_memory = False
        self.watchdog.watch(self.process.pid, self.spec.memory_mb, self._exceeded_memory)
        started = time.perf_counter()
        try:
            wire.send(self._fd, self._setup())
            if not self._wait(INIT_LIMIT_S):
                self.kill()
                return InitResult(INIT_LIMIT_S * 1000.0, self._output(),
                                  errors.timed_out(request_id, self.spec.timeout_s), timed_out=True)
            meta, _ = wire.receive(self._fd)
            init_ms, error, self.peak_mb = meta["init_ms"], meta["error"], meta["peak_mb"]
        except (EOFError, OSError):
            self.kill()
            init_ms = (time.perf_counter() - started) * 1000
            error = "oom" if self._out_of_memory else errors.exited(request_id, self.process.exitcode)
        if error == "oom":
            error = errors.out_of_memory(request_id)
        template.spare.refill()
        if error is None:
            return InitResult(init_ms, self._output())
        self.kill()
        if "requestId" not in error:
            error = errors.runtime_error(error["errorType"], error["errorMessage"])
        return InitResult(init_ms, self._output(), error)

    def run(self, request_id: str, payload: bytes, invoked_arn: str,
            client_context: dict | None = None) -> RunResult:
        """Run one invoke and wait for its answer until the function's timeout, then kill."""
        timeout_s = self.spec.timeout_s
        deadline_ms = int(time.time() * 1000) + timeout_s * 1000
        meta = {"id": request_id, "deadline_ms": deadline_ms, "arn": invoked_arn}
        if client_context is not None:
            meta["client_context"] = client_context
        started = time.perf_counter()
        try:
            wire.send(self._fd, meta, payload)
            if not self._wait(timeout_s):
                peak_mb = max(self.peak_mb, round(limits.resident_mb(self.process.pid)))
                self.kill()
                return RunResult("timeout", json.dumps(errors.timed_out(request_id, timeout_s)).encode(),
                                 timeout_s * 1000.0, peak_mb, self._output())
            answer, response = wire.receive(self._fd)
        except (EOFError, OSError):
            elapsed = (time.perf_counter() - started) * 1000
            self.kill()
            if self._out_of_memory:
                return self._out_of_memory_result(request_id, elapsed)
            return RunResult("exit", json.dumps(errors.exited(request_id, self.process.exitcode)).encode(),
                             elapsed, self.peak_mb, self._output())
        if answer["status"] == "oom":
            self.kill()
            return self._out_of_memory_result(request_id, (time.perf_counter() - started) * 1000)
        self.peak_mb = answer["peak_mb"]
        return RunResult(answer["status"], response, answer["duration_ms"], self.peak_mb, self._output())

    def _out_of_memory_result(self, request_id: str, elapsed_ms: float) -> RunResult:
        return RunResult("oom", json.dumps(errors.out_of_memory(request_id)).encode(), elapsed_ms,
                         self.spec.memory_mb, self._output())

    def _wait(self, seconds: float) -> bool:
        """True when the environment answered (or died) within the time given."""
        return bool(self._poller.poll(seconds * 1000))

    def _exceeded_memory(self) -> None:
        self._out_of_memory = True
        limits.kill_tree(self.process.pid)

    def _output(self) -> str:
        """What the function wrote since the last look; the log file is emptied after reading."""
        size = os.fstat(self._log_fd).st_size
        if not size:
            return ""
        cap = self.spec.max_output_bytes + 4096
        data = os.pread(self._log_fd, min(size, cap), 0)
        os.ftruncate(self._log_fd, 0)
        text = data.decode("utf-8", "replace")
        if size > cap:
            text += f"\n[lambdanb] {size - cap} bytes of output were dropped\n"
        return text

    def kill(self) -> None:
        """Kill the process, its group and everything it started; the environment can start again later."""
        if self.process is None:
            return
        self.watchdog.unwatch(self.process.pid)
        limits.kill_tree(self.process.pid)
        self.process.join(5)
        if self._fd >= 0:
            self._poller.unregister(self._fd)
            os.close(self._fd)
            self._fd = -1

    def close(self) -> None:
        """Shut the environment down for good."""
        self.kill()
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1

    def _setup(self) -> dict:
        s = self.spec
        return {"function_name": s.function_name, "version": s.version, "runtime": s.runtime,
                "handler": s.handler, "task_root": s.task_root, "memory_mb": s.memory_mb,
                "environ": s.environ, "log_group": s.log_group, "log_stream": s.log_stream,
                "log_path": str(self._log_path), "fixed_clock": s.fixed_clock,
                "max_output_bytes": s.max_output_bytes, "command": s.command}
