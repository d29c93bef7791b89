"""The path of one invocation, drawn from what the service recorded for its request id."""
from __future__ import annotations

import pytest

import lambdanb
from lambdanb.errors import LambdaNBError
from lambdanb.widgets.path import InvocationPath

HANDLER = "def lambda_handler(event, context):\n    print('working')\n    return 1\n"


def titles(path: InvocationPath) -> list[str]:
    return [step.title for step in path.steps]


def test_a_synchronous_cold_invoke_goes_straight_to_an_environment(service):
    service.create_function("pathway", HANDLER)
    first = service.invoke("pathway", {})
    path = InvocationPath(service, "pathway", first.request_id)
    assert titles(path) == ["Caller", "Frontend", "Execution environment", "Handler", "CloudWatch Logs"]
    caller, frontend, environment, handler, logs = path.steps
    assert caller.lines == ["asked by: api", "type: RequestResponse"]
    assert frontend.lines[1] == "route: straight to an"
    assert environment.lines[1] == f"cold: Init Duration {first.init_duration_ms:.2f} ms"
    assert handler.lines[1] == "sync: success"
    assert logs.lines == ["/aws/lambda/pathway", "5 lines, START … REPORT"]  # INIT_START, START, print, END, REPORT
    warm = InvocationPath(service, "pathway", service.invoke("pathway", {}).request_id)
    assert warm.steps[2].lines[1] == "warm: no INIT"
    assert "<svg" in path._repr_html_() and first.request_id in path._repr_html_()


def test_an_asynchronous_invoke_waits_in_the_internal_queue(service):
    service = lambdanb.configure(async_retry_delays=(0.1, 0.1))
    service.create_function("queued", "def lambda_handler(event, context):\n    raise ValueError('no')\n")
    service.put_function_event_invoke_config("queued", maximum_retry_attempts=1)
    accepted = service.invoke("queued", {}, invocation_type="Event")
    service.drain()
    path = InvocationPath(service, "queued", accepted.request_id)
    assert titles(path) == ["Caller", "Frontend", "Internal queue", "Execution environment", "Handler",
                            "CloudWatch Logs"]
    assert path.steps[1].lines[1] == "route: internal queue, 202"
    assert path.steps[2].lines[1] == "attempts: 2"
    assert path.steps[4].lines[1] == "async: function error"


def test_an_unknown_request_id_is_one_sentence(service):
    service.create_function("nothing", HANDLER)
    with pytest.raises(LambdaNBError, match="No invocation with request id nope was recorded"):
        InvocationPath(service, "nothing", "nope")
