"""Scaling: parallel environments, account and reserved concurrency, throttles, and environment recycling."""
from __future__ import annotations

import threading
import time

import pytest

from lambdanb.errors import InvalidParameterValueException, TooManyRequestsException
from lambdanb.service.lambda_service import LambdaService as Service

SLOW = '''
import os, time
def lambda_handler(event, context):
    time.sleep((event or {}).get("sleep", 0))
    return os.getpid()
'''


def in_parallel(service, name, count, event):
    results, errors = [], []

    def call():
        try:
            results.append(service.invoke(name, event))
        except TooManyRequestsException as error:
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_parallel_invokes_get_their_own_environments(service):
    service.create_function("slow", SLOW)
    results, errors = in_parallel(service, "slow", 3, {"sleep": 0.5})
    assert not errors and len({r.payload for r in results}) == 3
    assert service.environments("slow") == 3
    # afterwards they are reused warm, one at a time
    assert service.invoke("slow").payload in {r.payload for r in results}


def test_reserved_concurrency_throttles_with_the_right_reason(service):
    service.create_function("slow", SLOW)
    assert service.put_function_concurrency("slow", 1) == {"ReservedConcurrentExecutions": 1}
    results, errors = in_parallel(service, "slow", 3, {"sleep": 0.5})
    assert len(results) >= 1 and len(errors) >= 1 and len(results) + len(errors) == 3
    assert errors[0].reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert str(errors[0]) == ("An error occurred (TooManyRequestsException) when calling the Invoke operation: "
                              "Rate Exceeded. (Reason: ReservedFunctionConcurrentInvocationLimitExceeded)")
    assert service.metrics.total("slow", "Throttles") == len(errors)
    assert service.metrics.total("slow", "Invocations") == len(results)


def test_reserved_zero_throttles_everything(service):
    service.create_function("off", SLOW)
    service.put_function_concurrency("off", 0)
    with pytest.raises(TooManyRequestsException):
        service.invoke("off")
    service.delete_function_concurrency("off")
    assert service.get_function_concurrency("off") == {}
    assert service.invoke("off").function_error is None


def test_account_concurrency_limit():
    service = Service(account_concurrency=2)
    try:
        service.create_function("slow", SLOW)
        results, errors = in_parallel(service, "slow", 4, {"sleep": 0.5})
        assert len(results) <= 2 and errors
        assert all(e.reason == "ConcurrentInvocationLimitExceeded" for e in errors)
    finally:
        service.close()


def test_reservations_leave_unreserved_concurrency(service):
    service.create_function("greedy", SLOW)
    with pytest.raises(InvalidParameterValueException, match=r"below its minimum value of \[100\]"):
        service.put_function_concurrency("greedy", 950)


def test_idle_environments_are_recycled():
    service = Service(idle_environment_timeout=0.3)
    try:
        service.create_function("idle", SLOW)
        first = service.invoke("idle").payload
        time.sleep(1.5)
        assert service.environments("idle") == 0
        again = service.invoke("idle")
        assert again.init_duration_ms is not None and again.payload != first
    finally:
        service.close()


def test_old_environments_finish_their_invocation_then_retire():
    service = Service(max_environment_lifetime=0.5)
    try:
        service.create_function("old", SLOW)
        service.invoke("old")
        in_flight = service.invoke("old", {"sleep": 1})  # outlives its lifetime while running
        assert in_flight.function_error is None
        assert service.environments("old") == 0
        assert service.invoke("old").init_duration_ms is not None
    finally:
        service.close()
