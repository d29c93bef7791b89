"""Parent-side handle of one execution environment: starts its process, sends it invokes, enforces its limits."""
from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from . import cgroups, errors, leftovers, limits, template, wire

INIT_LIMIT_S = 10  # Lambda's limit on the INIT phase of an on-demand environment
_warned = False  # the machine's refusal to seal environments is said once per kernel
_started: weakref.WeakSet[ExecutionEnvironment] = weakref.WeakSet()
_exit_handled = False


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
    ephemeral_storage_mb: int = 512  # the function's EphemeralStorage: the size of its private /tmp
    sealed: bool = True  # own namespaces and Landlock where the machine allows them


@dataclass
class InitResult:
    init_ms: float
    output: str
    error: dict | None = None  # Lambda's payload when INIT failed
    timed_out: bool = False

    @property
    def error_type(self) -> str | None:
        return self.error["errorType"] if self.error else None


class RunStatus(str, Enum):
    """How one invoke ended."""

    OK = "ok"
    ERROR = "error"  # the runtime reported the function's error
    FAILED = "failed"  # the platform saw the failure (INIT failed, the response was too large)
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "oom"
    EXIT = "exit"  # the runtime process ended without answering


# What a runtime may answer, looked up by value (calling the Enum costs more, on every invoke)
_ANSWER_STATUSES = {status.value: status for status in (RunStatus.OK, RunStatus.ERROR, RunStatus.FAILED,
                                                          RunStatus.OUT_OF_MEMORY)}


_PLATFORM_ERROR_TYPES = {RunStatus.TIMEOUT: "Sandbox.Timedout", RunStatus.OUT_OF_MEMORY: "Runtime.OutOfMemory",
                         RunStatus.EXIT: "Runtime.ExitError"}


@dataclass
class RunResult:
    """What came back from one invoke: the response bytes and what the platform measured."""

    status: RunStatus
    response: bytes
    duration_ms: float
    peak_mb: int
    output: str

    @property
    def error_type(self) -> str | None:
        if self.status in (RunStatus.ERROR, RunStatus.FAILED):
            found: str | None = json.loads(self.response).get("errorType")
            return found
        return _PLATFORM_ERROR_TYPES.get(self.status)


class ExecutionEnvironment:
    """One execution environment (an OS process in its own session and control group), reused warm between
    invokes and frozen in between, as Lambda freezes its microVMs."""

    def __init__(self, spec: EnvironmentSpec, workdir: Path, watchdog: limits.MemoryWatchdog) -> None:
        self.spec = spec
        self.workdir = workdir
        self.watchdog = watchdog
        self.starts = 0  # the first start is a cold start; later ones re-initialise after a reset
        self.born = time.monotonic()
        self.provisioned = False
        self.idle_since = self.born
        self.peak_mb = 0
        self.process: Any = None  # a multiprocess Process, while the environment is alive
        self._channel: wire.Channel | None = None
        self._group: cgroups.Group | None = None
        self._paused = ""  # how it was paused: "process" (SIGSTOP), "group" (its process group), "freezer"
        self._alone = False  # its last answer said nothing in it can run while it waits
        self._refill_due = False  # the next spare process starts after the first invoke
        self._out_of_memory = False
        workdir.mkdir(parents=True, exist_ok=True)
        leftovers.hold_temporary_ancestor(workdir)
        self._log_path = workdir / "output.log"
        self._log_fd = os.open(self._log_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    @property
    def alive(self) -> bool:
        return self.process is not None and self._channel is not None

    def start(self, request_id: str = "") -> InitResult:
        """Create the process and run INIT (import the handler module) in it."""
        self.starts += 1
        blank = template.spare.take()
        if self._group is not None:  # a restart: the group of the process that ended goes with it
            self._group.remove()
        self.process, self._group = blank.process, blank.group
        _started.add(self)
        _handle_exit()
        self._channel = wire.Channel(blank.fd)
        pid = self.process.pid
        self._out_of_memory = False
        self.watchdog.watch(pid, self.spec.memory_mb, self._exceeded_memory, self._members())
        started = time.perf_counter()
        deadline = time.monotonic() + INIT_LIMIT_S
        try:
            self._channel.send(self._setup(), b"", deadline)
            meta, _ = self._channel.receive(deadline, 0)
            init_ms, error, self.peak_mb = float(meta["init_ms"]), meta["error"], int(meta["peak_mb"])
            self._alone = meta.get("alone") is True
            _warn_once(meta.get("unsealed"))
        except TimeoutError:
            self.kill()
            template.spare.refill()
            return InitResult(INIT_LIMIT_S * 1000.0, self._output(),
                              errors.timed_out(request_id, self.spec.timeout_s), timed_out=True)
        except (EOFError, OSError, wire.FrameError, KeyError, TypeError, ValueError):
            self.kill()
            init_ms = (time.perf_counter() - started) * 1000
            error = errors.out_of_memory(request_id) if self._out_of_memory else \
                errors.exited(request_id, self.process.exitcode)
        if error == "oom":  # the worker's word for a MemoryError during INIT
            error = errors.out_of_memory(request_id)
        if error is None:
            if request_id:  # an invoke waits for this INIT: the next spare starts after it, not beside it
                self._refill_due = True
            else:
                template.spare.refill()
            self._pause()
            return InitResult(init_ms, self._output())
        template.spare.refill()
        self.kill()
        if not isinstance(error, dict) or "errorType" not in error:
            error = errors.exited(request_id, self.process.exitcode)
        elif "requestId" not in error:
            error = errors.runtime_error(error["errorType"], error.get("errorMessage", ""))
        return InitResult(init_ms, self._output(), error)

    def run(self, request_id: str, payload: bytes, invoked_arn: str,
            client_context: dict | None = None) -> RunResult:
        """Run one invoke and wait for its answer until the function's timeout, then kill."""
        try:
            return self._run(request_id, payload, invoked_arn, client_context)
        finally:
            if self._refill_due:  # the first invoke after a cold start had the machine to itself
                self._refill_due = False
                template.spare.refill()

    def _run(self, request_id: str, payload: bytes, invoked_arn: str, client_context: dict | None) -> RunResult:
        timeout_s = self.spec.timeout_s
        deadline = time.monotonic() + timeout_s
        meta = {"id": request_id, "deadline_ms": int(time.time() * 1000) + timeout_s * 1000, "arn": invoked_arn}
        if client_context is not None:
            meta["client_context"] = client_context
        started = time.perf_counter()
        self._resume()
        try:
            self._live_channel.send(meta, payload, deadline)
            answer, response = self._answer(request_id, deadline)
        except TimeoutError:
            peak_mb = max(self.peak_mb, round(limits.resident_mb(self.process.pid, self._members())))
            self.kill()
            return RunResult(RunStatus.TIMEOUT, json.dumps(errors.timed_out(request_id, timeout_s)).encode(),
                             timeout_s * 1000.0, peak_mb, self._output())
        except wire.FrameTooLarge:
            self.kill()
            too_large = errors.response_too_large()
            return RunResult(RunStatus.FAILED, json.dumps(too_large).encode(), (time.perf_counter() - started) * 1000,
                             self.peak_mb,
                             self._output() + f"[ERROR] {too_large['errorType']}: {too_large['errorMessage']}\n")
        except (EOFError, OSError, wire.FrameError) as failure:
            elapsed = (time.perf_counter() - started) * 1000
            self.kill()
            if self._out_of_memory:
                return self._out_of_memory_result(request_id, elapsed)
            exitcode = self.process.exitcode if isinstance(failure, (EOFError, OSError)) else 1
            return RunResult(RunStatus.EXIT, json.dumps(errors.exited(request_id, exitcode)).encode(),
                             elapsed, self.peak_mb, self._output())
        if answer["status"] == "oom":
            self.kill()
            return self._out_of_memory_result(request_id, (time.perf_counter() - started) * 1000)
        self.peak_mb = answer["peak_mb"]
        self._alone = answer.get("alone") is True
        self._pause()
        output = self._output() if answer.get("output") is not False else ""  # a runtime that does not say: look
        return RunResult(_ANSWER_STATUSES[answer["status"]], response, answer["duration_ms"], self.peak_mb, output)

    @property
    def _live_channel(self) -> wire.Channel:
        if self._channel is None:
            raise EOFError("the execution environment is not running")
        return self._channel

    def _answer(self, request_id: str, deadline: float) -> tuple[dict[str, Any], bytes]:
        """The answer to this request; a frame about another one (sent by a process the function forked, or
        written by the function itself) is dropped, as the Runtime API refuses a wrong request id."""
        while True:
            answer, response = self._live_channel.receive(deadline, errors.MAX_RESPONSE_BYTES)
            if answer.get("id") != request_id:
                continue
            status = answer.get("status")
            if (not isinstance(status, str) or status not in _ANSWER_STATUSES
                    or not isinstance(answer.get("peak_mb"), int)
                    or not isinstance(answer.get("duration_ms", 0.0), (int, float))):
                raise wire.FrameError("the execution environment sent an answer this service does not know")
            return answer, response

    def _pause(self) -> None:
        """Freeze the environment until its next invoke: its threads and processes stop, as on Lambda.
        Not when its answer said it is alone (nothing in it can run); a single process gets SIGSTOP
        (microseconds); anything more, the freezer of its group (slower: a cgroup v1 freeze and thaw cost about
        150 us)."""
        if self._alone:  # blocked on its pipe, it runs nothing until the next invoke anyway
            return
        pid = self.process.pid
        try:
            if self._group is None:
                os.killpg(pid, signal.SIGSTOP)
                self._paused = "group"
            elif self._group.tasks() == 1:
                os.kill(pid, signal.SIGSTOP)
                self._paused = "process"
            else:
                self._group.freeze()
                self._paused = "freezer"
        except OSError:
            self._paused = ""  # it is gone: the next invoke finds out

    def _resume(self) -> None:
        paused, self._paused = self._paused, ""
        try:
            if paused == "process":
                os.kill(self.process.pid, signal.SIGCONT)
            elif paused == "group":
                os.killpg(self.process.pid, signal.SIGCONT)
            elif paused == "freezer" and self._group is not None:
                self._group.thaw()
        except OSError:
            pass

    def _members(self) -> Callable[[], list[int]] | None:
        """How to list the environment's processes: its group, or (None) its descendants."""
        return self._group.members if self._group is not None else None

    def _out_of_memory_result(self, request_id: str, elapsed_ms: float) -> RunResult:
        return RunResult(RunStatus.OUT_OF_MEMORY, json.dumps(errors.out_of_memory(request_id)).encode(), elapsed_ms,
                         self.spec.memory_mb, self._output())

    def _exceeded_memory(self) -> None:
        self._out_of_memory = True
        self._kill_processes()

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

    def _kill_processes(self) -> None:
        """SIGKILL the environment and everything it started, frozen or not."""
        pid = self.process.pid
        if self._group is not None:
            try:
                self._group.kill()
            except OSError:
                pass
        limits.kill_tree(pid)  # its session and descendants too, where there is no group
        if self._paused == "group":
            try:
                os.killpg(pid, signal.SIGCONT)
            except OSError:
                pass

    def kill(self) -> None:
        """Kill the process, its group and everything it started; the environment can start again later."""
        if self.process is None:
            return
        self.watchdog.unwatch(self.process.pid)
        self._kill_processes()
        self._paused = ""
        self.process.join(5)
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def close(self) -> None:
        """Shut the environment down for good."""
        self.kill()
        if self._group is not None:
            self._group.remove()
            self._group = None
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1

    def _setup(self) -> dict:
        s = self.spec
        return {"function_name": s.function_name, "version": s.version, "runtime": s.runtime,
                "handler": s.handler, "task_root": s.task_root, "memory_mb": s.memory_mb,
                "environ": s.environ, "log_group": s.log_group, "log_stream": s.log_stream,
                "log_path": str(self._log_path), "fixed_clock": s.fixed_clock,
                "max_output_bytes": s.max_output_bytes, "command": s.command,
                "ephemeral_storage_mb": s.ephemeral_storage_mb, "seal": s.sealed}


def _handle_exit() -> None:
    """Registered once multiprocess is loaded, after its own exit handler, so that ours runs first."""
    global _exit_handled
    if not _exit_handled:
        _exit_handled = True
        atexit.register(_kill_all)


def _kill_all() -> None:
    """At the kernel's exit: multiprocess would wait for every environment to end, and a frozen one never does."""
    template.spare.close()  # first: an invoke these kills end must not start a new spare process
    for environment in list(_started):
        environment.kill()


def _warn_once(unsealed: str | None) -> None:
    """One plain line when the machine refuses to seal environments; they run as before."""
    global _warned
    if unsealed and not _warned:
        _warned = True
        print(f"lambdanb: execution environments are not sealed on this machine: {unsealed}; functions share "
              "/tmp and /dev/shm and can write where the kernel can.", file=sys.stderr)
