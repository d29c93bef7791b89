"""Asynchronous invocation through the Frontend's internal queue: 202, retries, maximum age, destinations, DLQ."""
from __future__ import annotations

import json
import threading

import pytest

from lambdanb.errors import RequestTooLargeException, ValidationException
from lambdanb.service.lambda_service import LambdaService as Service

FLAKY = '''
def lambda_handler(event, context):
    print("attempt", context.aws_request_id)
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": event.get("n")}
'''
SINK = '''
import json
def lambda_handler(event, context):
    print(json.dumps(event))
    return 1
'''


@pytest.fixture
def fast():
    service = Service(async_retry_delays=(0.05, 0.05), throttle_retry_delays=(0.05, 0.2))
    yield service
    service.close()


def sink_records(service, name="sink"):
    return [json.loads(e.message) for e in service.get_logs(name) if e.message.startswith("{")]


def test_event_is_accepted_at_once_and_runs_later(fast):
    fast.create_function("flaky", FLAKY)
    r = fast.invoke("flaky", {"n": 1}, invocation_type="Event")
    assert r.status_code == 202 and r.payload is None and r.logs == ""
    assert fast.drain(30)
    assert any(e.message == f"attempt {r.request_id}" for e in fast.get_logs("flaky"))
    assert fast.async_outcomes("flaky").succeeded == 1
    assert fast.metrics.total("flaky", "AsyncEventsReceived") == 1


def test_failures_are_retried_twice_with_the_same_request_id_then_go_to_on_failure(fast):
    fast.create_function("flaky", FLAKY)
    fast.create_function("sink", SINK)
    fast.put_function_event_invoke_config("flaky", destination_config={
        "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:sink"}})
    r = fast.invoke("flaky", {"fail": True}, invocation_type="Event")
    assert fast.drain(30)
    attempts = [e for e in fast.get_logs("flaky") if e.message == f"attempt {r.request_id}"]
    assert len(attempts) == 3
    starts = [e.message for e in fast.get_logs("flaky") if e.message.startswith("START")]
    assert starts == [f"START RequestId: {r.request_id} Version: $LATEST"] * 3
    (record,) = sink_records(fast)
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": r.request_id, "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:flaky:$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"fail": True}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    outcomes = fast.async_outcomes("flaky")
    assert (outcomes.received, outcomes.succeeded, outcomes.failed, outcomes.dropped) == (1, 0, 1, 0)
    assert fast.metrics.total("flaky", "AsyncEventsDropped") == 1


def test_retry_attempts_zero_and_on_success(fast):
    fast.create_function("flaky", FLAKY)
    fast.create_function("sink", SINK)
    fast.put_function_event_invoke_config("flaky", maximum_retry_attempts=0, destination_config={
        "OnSuccess": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:sink"}})
    fast.invoke("flaky", {"fail": True}, invocation_type="Event")
    fast.invoke("flaky", {"n": 7}, invocation_type="Event")
    assert fast.drain(30)
    assert len([e for e in fast.get_logs("flaky") if e.message.startswith("START")]) == 2
    (record,) = sink_records(fast)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == {"ok": 7}
    assert "functionError" not in record["responseContext"]
    assert fast.async_outcomes("flaky").dropped == 1  # the failure had no destination


def test_throttled_events_stay_queued_until_concurrency_returns(fast):
    fast.create_function("flaky", FLAKY)
    fast.put_function_concurrency("flaky", 1)
    for n in range(6):
        fast.invoke("flaky", {"n": n}, invocation_type="Event")
    assert fast.drain(30)
    assert fast.async_outcomes("flaky").succeeded == 6
    assert fast.metrics.total("flaky", "ConcurrentExecutions", "Maximum") == 1


def test_reserved_zero_sends_events_straight_to_failure(fast):
    fast.create_function("flaky", FLAKY)
    fast.create_function("sink", SINK)
    fast.put_function_concurrency("flaky", 0)
    fast.put_function_event_invoke_config("flaky", destination_config={
        "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:sink"}})
    fast.invoke("flaky", {"n": 1}, invocation_type="Event")
    assert fast.drain(30)
    (record,) = sink_records(fast)
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responsePayload" not in record
    assert fast.get_logs("flaky") == []


def test_event_payload_limit_and_config_validation(fast):
    fast.create_function("flaky", FLAKY)
    with pytest.raises(RequestTooLargeException, match="Request must be smaller than 1048576 bytes"):
        fast.invoke("flaky", "x" * 1_048_577, invocation_type="Event")
    with pytest.raises(ValidationException, match="maximumRetryAttempts"):
        fast.put_function_event_invoke_config("flaky", maximum_retry_attempts=3)
    with pytest.raises(ValidationException, match="maximumEventAgeInSeconds"):
        fast.put_function_event_invoke_config("flaky", maximum_event_age_in_seconds=30)


def test_every_event_is_accounted_for_under_failures(fast):
    """Many events through two functions that fail 5% of the time: successes + records + drops = sent."""
    fail_some = "def lambda_handler(e, c):\n    if e['n'] % 20 == 0:\n        raise ValueError('unlucky')\n"
    fast.create_function("a", fail_some)
    fast.create_function("b", fail_some)
    fast.create_function("sink", "def lambda_handler(e, c):\n    return 1\n")
    fast.put_function_event_invoke_config("b", destination_config={
        "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:sink"}})
    sent = 2000
    for n in range(sent):
        fast.invoke("a" if n % 2 else "b", {"n": n}, invocation_type="Event")
    assert fast.drain(120)
    a, b, sink = (fast.async_outcomes(name) for name in ("a", "b", "sink"))
    assert a.received + b.received == sent
    assert a.succeeded + a.failed + b.succeeded + b.failed == sent
    assert a.failed == 0 and b.failed == 100  # n % 20 == 0 is always even, so only b fails
    assert b.dropped == 0 and sink.received == 100 and sink.succeeded == 100  # each failure became a record
    assert fast.queue.pending() == 0


def test_magic_invokes_async_and_drains(shell):
    shell.run("%%lambda hello\ndef lambda_handler(event, context):\n    print('ran')\n    return 1\n")
    out = shell.run("%lambda invoke hello --type Event")
    assert "Accepted: the event is queued" in out
    shell.run("%lambda drain")
    assert "ran" in shell.run("%lambda logs hello")


def test_deleting_a_function_drops_its_waiting_events_and_stops_its_pollers():
    service = Service(async_retry_delays=(30, 30))
    try:
        service.create_function("doomed", FLAKY)
        service.invoke("doomed", {"fail": True}, invocation_type="Event")
        for _ in range(100):  # wait until the first attempt failed and the retry waits in the queue
            if service.get_logs("doomed", pattern="REPORT") and service.queue.waiting("doomed"):
                break
            service.drain(0.05)
        pollers = [t for t in threading.enumerate() if t.name.startswith("lambdanb-async-doomed-")]
        assert pollers
        service.delete_function("doomed")
        assert not any(p.is_alive() for p in pollers)
        outcomes = service.async_outcomes("doomed")
        assert (outcomes.received, outcomes.failed, outcomes.dropped) == (1, 1, 1)
        assert service.drain(5)
        service.create_function("doomed", FLAKY)  # a new function of the same name works again
        service.invoke("doomed", {"n": 1}, invocation_type="Event")
        assert service.drain(30) and service.async_outcomes("doomed").succeeded == 1
    finally:
        service.close()


def test_an_environment_killed_from_outside(fast):
    import os
    import signal
    import socket
    import threading
    fast.create_function("victim", "import os, socket, time\ndef lambda_handler(e, c):\n"
                                   "    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto("
                                   "str(os.getpid()).encode(), ('127.0.0.1', e['port']))\n"
                                   "    time.sleep(e.get('sleep', 0))\n    return 'survived'\n", timeout=10)
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # environments have their own /tmp: the
    listener.bind(("127.0.0.1", 0))                                # victim reports its pid over the network
    listener.settimeout(10)
    port = listener.getsockname()[1]

    def kill_soon():
        os.kill(int(listener.recv(32)), signal.SIGKILL)

    killer = threading.Thread(target=kill_soon)
    killer.start()
    r = fast.invoke("victim", {"sleep": 5, "port": port})
    killer.join()
    assert r.payload == {"errorType": "Runtime.ExitError",
                         "errorMessage": f"RequestId: {r.request_id} Error: Runtime exited with error: signal: killed"}
    killer = threading.Thread(target=kill_soon)
    killer.start()
    fast.invoke("victim", {"sleep": 1, "port": port}, invocation_type="Event")
    killer.join()
    assert fast.drain(30)
    outcomes = fast.async_outcomes("victim")
    assert outcomes.succeeded == 1  # the killed attempt was retried
    assert sum(1 for e in fast.get_logs("victim") if e.message.startswith("START")) >= 3


def test_events_older_than_the_maximum_age_go_to_failure():
    service = Service(throttle_retry_delays=(0.1, 0.1))
    try:
        service.create_function("busy", "import time\ndef lambda_handler(e, c):\n    time.sleep(e.get('sleep', 0))\n")
        service.create_function("sink", SINK)
        service.put_function_concurrency("busy", 1)
        service.put_function_event_invoke_config("busy", maximum_event_age_in_seconds=60, destination_config={
            "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:sink"}})
        holder = threading.Thread(target=service.invoke, args=("busy", {"sleep": 1.5}))
        holder.start()
        while service.concurrent_executions("busy") == 0:
            holder.join(0.01)
        late = service.invoke("busy", {"n": 1}, invocation_type="Event")  # throttled while the holder runs
        aged = False
        while not aged and holder.is_alive():  # catch it between throttled attempts, waiting in the queue
            with service.queue._changed:
                for _, _, event in service.queue._queues["busy"].heap:
                    event.received_at -= 3600  # as if it had waited an hour in the queue
                    aged = True
            holder.join(0.01)
        holder.join()
        assert aged
        assert service.drain(30)
        (record,) = sink_records(service)
        assert record["requestContext"]["requestId"] == late.request_id
        assert record["requestContext"]["condition"] == "EventAgeExceeded"
    finally:
        service.close()
