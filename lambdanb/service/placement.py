"""Placement: the execution environments of each function, reused warm, started cold, retired with old code."""
from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..ids import IdSource
from ..sandbox.environment import EnvironmentSpec, ExecutionEnvironment
from ..sandbox.limits import MemoryWatchdog
from .functions import REGION, FunctionConfig

SANDBOX_DIR = str(Path(__file__).resolve().parent.parent / "sandbox")


@dataclass
class Pool:
    revision: int
    idle: list[ExecutionEnvironment] = field(default_factory=list)
    busy: set[ExecutionEnvironment] = field(default_factory=set)


class Placement:
    """Hands each invocation an environment of its function: a warm idle one when there is one, else a new one."""

    def __init__(self, workdir: Path, ids: IdSource, deterministic: bool, max_output_bytes: int) -> None:
        self.workdir = workdir
        self.ids = ids
        self.deterministic = deterministic
        self.max_output_bytes = max_output_bytes
        self.watchdog = MemoryWatchdog()
        self._pools: dict[str, Pool] = {}
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def acquire(self, config: FunctionConfig) -> ExecutionEnvironment:
        """An environment for one invocation; it is not alive yet when it must (re)start."""
        with self._lock:
            pool = self._pool(config)
            environment = pool.idle.pop() if pool.idle else None
            if environment is None:
                environment = self._new(config)
            pool.busy.add(environment)
            return environment

    def release(self, config: FunctionConfig, environment: ExecutionEnvironment) -> None:
        with self._lock:
            pool = self._pools.get(config.name)
            if pool is not None and environment in pool.busy and pool.revision == config.revision:
                pool.busy.discard(environment)
                pool.idle.append(environment)
                return
            if pool is not None:
                pool.busy.discard(environment)
        environment.close()

    def retire(self, function_name: str) -> None:
        """The function changed or went away: idle environments stop now, busy ones when they finish."""
        with self._lock:
            pool = self._pools.pop(function_name, None)
        if pool is not None:
            for environment in pool.idle:
                environment.close()

    def environments(self, function_name: str) -> int:
        with self._lock:
            pool = self._pools.get(function_name)
            return len(pool.idle) + len(pool.busy) if pool else 0

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            for environment in [*pool.idle, *pool.busy]:
                environment.close()
        self.watchdog.stop()

    def _pool(self, config: FunctionConfig) -> Pool:
        pool = self._pools.get(config.name)
        if pool is None or pool.revision != config.revision:
            if pool is not None:
                for environment in pool.idle:
                    environment.close()
            pool = self._pools[config.name] = Pool(config.revision)
        return pool

    def _new(self, config: FunctionConfig) -> ExecutionEnvironment:
        stream = self.ids.log_stream(config.name, config.version)
        workdir = self.workdir / "environments" / str(next(self._numbers))
        home = workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        spec = EnvironmentSpec(
            function_name=config.name, version=config.version, runtime=config.runtime, handler=config.handler,
            task_root=str(config.task_root), memory_mb=config.memory_size, timeout_s=config.timeout,
            environ=self._environ(config, stream, home), log_group=config.log_group, log_stream=stream,
            fixed_clock=self.deterministic, max_output_bytes=self.max_output_bytes)
        return ExecutionEnvironment(spec, workdir, self.watchdog)

    @staticmethod
    def _environ(config: FunctionConfig, stream: str, home: Path) -> dict[str, str]:
        """Lambda's variables plus the function's own; nothing else of the kernel's environment."""
        return {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": str(home),
            "AWS_EC2_METADATA_DISABLED": "true",
            "_HANDLER": config.handler,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": config.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "LAMBDA_TASK_ROOT": str(config.task_root),
            "LAMBDA_RUNTIME_DIR": SANDBOX_DIR,
            **config.environment,
        }
