"""A teacher's caps for every student's kernel: environments and their memory, set by environment variables that a
notebook may lower but not raise; at the cap, idle environments of other functions make room, else a throttle."""
from __future__ import annotations

import threading

import pytest

from lambdanb.errors import LambdaNBError, TooManyRequestsException, ValidationException
from lambdanb.service.lambda_service import LambdaService

SLEEP = "import time\ndef lambda_handler(event, context):\n    time.sleep(event.get('sleep', 0))\n    return 1\n"


def test_the_environment_variables_are_ceilings(monkeypatch):
    monkeypatch.setenv("LAMBDANB_MAX_ENVIRONMENTS", "3")
    monkeypatch.setenv("LAMBDANB_ACCOUNT_CONCURRENCY", "10")
    with pytest.raises(LambdaNBError, match=r"account_concurrency cannot exceed 10 on this server "
                                            r"\(LAMBDANB_ACCOUNT_CONCURRENCY\)\."):
        LambdaService(account_concurrency=50)
    service = LambdaService(max_environments=2)
    try:
        assert (service.settings.max_environments, service.settings.account_concurrency) == (2, 10)
    finally:
        service.close()
    monkeypatch.setenv("LAMBDANB_MAX_ENVIRONMENTS", "lots")
    with pytest.raises(LambdaNBError, match="LAMBDANB_MAX_ENVIRONMENTS must be a whole number"):
        LambdaService()


def test_at_the_cap_idle_environments_make_room_and_busy_ones_throttle():
    service = LambdaService(max_environments=2)
    try:
        for name in ("a", "b", "c"):
            service.create_function(name, SLEEP, timeout=10)
        service.invoke("a")
        service.invoke("b")
        assert service.invoke("c").payload == 1  # a's idle environment made room
        assert service.environments("a") == 0 and service.environments("c") == 1
        holders = [threading.Thread(target=service.invoke, args=(n, {"sleep": 1.5})) for n in ("b", "c")]
        for holder in holders:
            holder.start()
        while service.concurrent_executions() < 2:
            holders[0].join(0.01)
        with pytest.raises(TooManyRequestsException) as caught:
            service.invoke("a")
        assert caught.value.reason == "ConcurrentInvocationLimitExceeded"
        for holder in holders:
            holder.join()
    finally:
        service.close()


def test_memory_cap_refuses_a_function_larger_than_it():
    service = LambdaService(max_environments_memory_mb=512)
    try:
        with pytest.raises(ValidationException, match="less than or equal to 512"):
            service.create_function("big", SLEEP, memory_size=1024)
    finally:
        service.close()
