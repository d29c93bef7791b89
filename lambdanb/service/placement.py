"""Placement: the execution environments of each function, reused warm, started cold, retired with old code,
within the account's and each function's concurrency."""
from __future__ import annotations

import itertools
import os
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .. import aws
from ..arns import REGION
from ..errors import InvalidParameterValueException, TooManyRequestsException
from ..ids import IdSource
from ..log import problem
from ..records import FunctionConfig, TimelineEntry
from ..sandbox.environment import EnvironmentSpec, ExecutionEnvironment
from ..sandbox.limits import MemoryWatchdog
from . import packages
from .functions import FunctionRegistry
from .settings import Settings

SANDBOX_DIR = str(Path(__file__).resolve().parent.parent / "sandbox")
TIMELINE_KEPT = 5000  # timeline entries per function: a lesson's worth, bounded in memory


@dataclass
class Pool:
    """The environments of one version of one function."""

    function_name: str
    revision: int
    memory_mb: int
    idle: list[ExecutionEnvironment] = field(default_factory=list)
    busy: set[ExecutionEnvironment] = field(default_factory=set)
    starting: int = 0  # environments being made for an invocation: they count as busy

    @property
    def in_use(self) -> int:
        return len(self.busy) + self.starting


class Placement:
    """Hands each invocation an environment of its function: a warm idle one when there is one, else a new one,
    within the account's and the function's concurrency; recycles environments that are old or long idle.
    Nothing slow (making an environment, stopping one, asking STS for credentials) happens under its lock."""

    def __init__(self, workdir: Path, ids: IdSource, settings: Settings, functions: FunctionRegistry) -> None:
        self.workdir = workdir
        self.ids = ids
        self.settings = settings
        self.functions = functions
        self.watchdog = MemoryWatchdog()
        self.lambda_endpoint: str | None = None  # the service's Lambda API, once started
        self._pools: dict[str, Pool] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._recycler: threading.Thread | None = None
        # What happened in each function's environments, appended by the Invoker, the queue and the recycling here
        self.timelines: defaultdict[str, deque[TimelineEntry]] = defaultdict(partial(deque, maxlen=TIMELINE_KEPT))

    # The rules of concurrency

    def check_reserved_concurrency(self, name: str, reserved: int, operation: str = "PutFunctionConcurrency") -> None:
        """Refuse a reservation that leaves the account less unreserved concurrency than Lambda's minimum."""
        others = sum(value for function, value in self.functions.reservations().items() if function != name)
        minimum = min(100, self.settings.account_concurrency // 10)
        if reserved < 0 or self.settings.account_concurrency - others - reserved < minimum:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{minimum}].", operation)

    @staticmethod
    def check_provisioned_concurrency(qualifier: str | None, count: int, reserved: int | None,
                                      operation: str = "PutProvisionedConcurrencyConfig") -> None:
        if qualifier in (None, "$LATEST"):
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions.", operation)
        if count < 1:
            raise InvalidParameterValueException("ProvisionedConcurrentExecutions must be at least 1.", operation)
        if reserved is not None and count > reserved:
            raise InvalidParameterValueException(
                "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for "
                "function", operation)

    def _check_concurrency(self, name: str, reservations: dict[str, int]) -> None:
        reserved = reservations.get(name)
        if reserved is not None:
            if self._in_use(lambda n: n == name) >= reserved:
                raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded")
            return
        unreserved = self.settings.account_concurrency - sum(reservations.values())
        if self._in_use(lambda n: n not in reservations) >= unreserved:
            raise TooManyRequestsException("ConcurrentInvocationLimitExceeded")

    def _make_room(self, pool: Pool) -> list[ExecutionEnvironment]:
        """Within the server's caps on environments and their memory (a teacher's settings), room for one more
        environment of the pool: idle environments of other versions are recycled, longest idle first; when all
        are busy the invoke is throttled."""
        count_cap, memory_cap = self.settings.max_environments, self.settings.max_environments_memory_mb
        if count_cap is None and memory_cap is None:
            return []
        pools = list(self._pools.values())
        count = sum(len(p.idle) + p.in_use for p in pools) + 1
        memory = sum((len(p.idle) + p.in_use) * p.memory_mb for p in pools) + pool.memory_mb
        idle = sorted(((e.idle_since, p, e) for p in pools if p is not pool for e in p.idle), key=lambda x: x[0])
        chosen = []
        for _, owner, environment in idle:
            if (count_cap is None or count <= count_cap) and (memory_cap is None or memory <= memory_cap):
                break
            chosen.append((owner, environment))
            count, memory = count - 1, memory - owner.memory_mb
        if count_cap is not None and count > count_cap:
            cap = f"{count_cap} execution environments at once (LAMBDANB_MAX_ENVIRONMENTS or max_environments)"
        elif memory_cap is not None and memory > memory_cap:
            cap = f"{memory_cap} MB of execution environments (LAMBDANB_MAX_ENVIRONMENTS_MEMORY_MB)"
        else:
            for owner, environment in chosen:
                owner.idle.remove(environment)
            return [environment for _, environment in chosen]
        problem("placement", f"[lambdanb] this server allows {cap}; the invoke was throttled.")
        raise TooManyRequestsException("ConcurrentInvocationLimitExceeded")

    def _in_use(self, counts: Callable[[str], bool]) -> int:
        return sum(pool.in_use for pool in self._pools.values() if counts(pool.function_name))

    # Environments for invocations

    def acquire(self, config: FunctionConfig) -> tuple[ExecutionEnvironment, int]:
        """An environment for one invocation (not alive yet when it must (re)start), and the function's concurrent
        executions with it. Raises TooManyRequestsException when no concurrency is left."""
        reservations = self.functions.reservations()
        with self._lock:
            self._check_concurrency(config.name, reservations)
            pool, stale = self._pool(config)
            environment = pool.idle.pop() if pool.idle else None
            if environment is None:
                stale += self._make_room(pool)
                pool.starting += 1
            else:
                pool.busy.add(environment)
            concurrency = self._in_use(lambda n: n == config.name)
            self._start_recycler()
        if stale:
            self._record_retired(stale, "code changed")
            _close_all(stale)
        if environment is not None:
            return environment, concurrency
        try:
            environment = self._new(config)
        finally:
            with self._lock:
                pool.starting -= 1
                if environment is not None:
                    pool.busy.add(environment)
        return environment, concurrency

    def release(self, config: FunctionConfig, environment: ExecutionEnvironment) -> None:
        """The invocation is over: the environment waits warm for the next one, unless it must retire."""
        with self._lock:
            pool = self._pools.get(config.key)
            if pool is not None:
                pool.busy.discard(environment)
                if pool.revision == config.revision and not self._too_old(environment):
                    environment.idle_since = time.monotonic()
                    pool.idle.append(environment)
                    return
        self._record_retired([environment], "lifetime reached" if self._too_old(environment) else "code changed")
        environment.close()

    def provision(self, config: FunctionConfig, count: int) -> list[ExecutionEnvironment]:
        """Provisioned concurrency: `count` environments made ahead, kept however long they stay idle."""
        made = [self._new(config, "provisioned-concurrency") for _ in range(count)]
        for environment in made:
            environment.provisioned = True
        with self._lock:
            pool, stale = self._pool(config)
            pool.idle.extend(made)
        self._record_retired(stale, "code changed")
        _close_all(stale)
        return made

    def retire(self, function_name: str, version: str | None = None) -> None:
        """A version changed, or the function went away (version None: all of its versions): idle
        environments stop now, busy ones when they finish."""
        with self._lock:
            keys = [k for k, pool in self._pools.items() if pool.function_name == function_name
                    and (version is None or k == f"{function_name}:{version}")]
            pools = [self._pools.pop(key) for key in keys]
        for pool in pools:
            self._record_retired(pool.idle, "code changed" if version else "function deleted")
            _close_all(pool.idle)

    def function_deleted(self, function_name: str) -> None:
        self.retire(function_name)
        self.timelines[function_name]  # noqa: B018  # made if missing: it stays readable, even empty

    # What is running

    def environments(self, function_name: str, version: str | None = None) -> int:
        """Environments alive or starting for a function (or one of its versions)."""
        with self._lock:
            return sum(len(p.idle) + p.in_use for k, p in self._pools.items() if p.function_name == function_name
                       and (version is None or k == f"{function_name}:{version}"))

    def concurrent_executions(self, function_name: str | None = None) -> int:
        """Environments running an invocation now, of one function or of all."""
        with self._lock:
            return self._in_use(lambda n: function_name is None or n == function_name)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            _close_all([*pool.idle, *pool.busy])
        self.watchdog.stop()

    # Recycling

    def _too_old(self, environment: ExecutionEnvironment) -> bool:
        return time.monotonic() - environment.born > self.settings.max_environment_lifetime

    def _start_recycler(self) -> None:
        if self._recycler is None:
            self._recycler = threading.Thread(target=self._recycle, name="lambdanb-recycler", daemon=True)
            self._recycler.start()

    def _recycle(self) -> None:
        """Stop environments past their lifetime or idle too long; busy ones finish their invocation first."""
        period = min(1.0, self.settings.idle_environment_timeout / 4, self.settings.max_environment_lifetime / 4)
        while not self._closed.wait(period):
            now = time.monotonic()
            retired = []
            with self._lock:
                for pool in self._pools.values():
                    keep = [e for e in pool.idle if not self._too_old(e) and (
                        e.provisioned or now - e.idle_since <= self.settings.idle_environment_timeout)]
                    retired += [e for e in pool.idle if e not in keep]
                    pool.idle[:] = keep
            for environment in retired:
                self._record_retired([environment], "lifetime reached" if self._too_old(environment) else "idle")
            _close_all(retired)

    def _record_retired(self, environments: Iterable[ExecutionEnvironment], reason: str) -> None:
        now = time.time()
        for environment in environments:
            spec = environment.spec
            self.timelines[spec.function_name].append(
                TimelineEntry("retire", spec.function_name, spec.version, spec.log_stream, now, now, outcome=reason))

    def _pool(self, config: FunctionConfig) -> tuple[Pool, list[ExecutionEnvironment]]:
        """The version's pool, made anew when its code changed; the old pool's idle environments are returned to
        be stopped once the lock is released."""
        pool = self._pools.get(config.key)
        if pool is not None and pool.revision == config.revision:
            return pool, []
        stale = pool.idle if pool is not None else []
        pool = self._pools[config.key] = Pool(config.name, config.revision, config.memory_size)
        return pool, stale

    def _new(self, config: FunctionConfig, initialization_type: str = "on-demand") -> ExecutionEnvironment:
        stream = self.ids.log_stream(config.name, config.version)
        workdir = self.workdir / "environments" / str(next(self._numbers))
        home = workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        spec = EnvironmentSpec(
            function_name=config.name, version=config.version, runtime=config.runtime, handler=config.handler,
            task_root=str(config.task_root), memory_mb=config.memory_size, timeout_s=config.timeout,
            environ=self._environ(config, stream, home, initialization_type), log_group=config.log_group,
            log_stream=stream, fixed_clock=self.settings.deterministic, max_output_bytes=self.settings.max_output_bytes,
            command=config.command, ephemeral_storage_mb=config.ephemeral_storage)
        return ExecutionEnvironment(spec, workdir, self.watchdog)

    def _environ(self, config: FunctionConfig, stream: str, home: Path, initialization_type: str) -> dict[str, str]:
        """Lambda's variables, the role's credentials and the function's own; nothing of the kernel's."""
        local_aws = {}
        if aws.local.running or config.role:
            local_aws["AWS_ENDPOINT_URL"] = aws.endpoint()
        if config.role:
            local_aws.update(aws.local.credentials(config.role))
        if self.lambda_endpoint:
            local_aws["AWS_ENDPOINT_URL_LAMBDA"] = self.lambda_endpoint
        return {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": str(home),
            "AWS_EC2_METADATA_DISABLED": "true",
            "_HANDLER": config.handler,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **({} if config.runtime.startswith("provided") else {"AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}"}),
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "LAMBDA_TASK_ROOT": str(config.task_root),
            "LAMBDA_RUNTIME_DIR": SANDBOX_DIR,
            **packages.import_environ(config.runtime, config.opt_dir, config.kernel_packages),
            **local_aws,
            **config.environment,
        }


def _close_all(environments: Iterable[ExecutionEnvironment]) -> None:
    for environment in list(environments):
        environment.close()
