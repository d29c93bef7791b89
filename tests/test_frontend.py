"""Every way in goes through the Frontend: the version a qualifier names runs, whoever asks and however."""
from __future__ import annotations

import json
import threading
import uuid

import pytest

from lambdanb import aws
from lambdanb.errors import ResourceNotFoundException
from lambdanb.magics import SUBCOMMANDS, LambdaMagics
from lambdanb.service.lambda_service import LambdaService

VERSIONED = "VERSION = {version!r}\ndef lambda_handler(event, context):\n    print(VERSION, json.dumps(event))\n" \
            "    if event.get('fail'):\n        raise ValueError('failed on ' + VERSION)\n    return VERSION\n"
SINK = "import json\ndef lambda_handler(event, context):\n    print('RECORD', json.dumps(event))\n"


def deploy_two_versions(service: LambdaService) -> None:
    service.create_function("app", "import json\n" + VERSIONED.format(version="one"))
    service.publish_version("app")
    service.update_function("app", "import json\n" + VERSIONED.format(version="two"))
    service.create_alias("app", "prod", "1")


def records(service: LambdaService, name: str) -> list[dict]:
    return [json.loads(e.message.split("RECORD ", 1)[1]) for e in service.get_logs(name, pattern="RECORD ")]


@pytest.fixture
def fast():
    service = LambdaService(async_retry_delays=(0.05, 0.05))
    yield service
    service.close()


def test_async_invoke_of_an_alias_runs_its_version_and_says_so_in_the_record(fast):
    deploy_two_versions(fast)
    fast.create_function("sink", SINK)
    fast.put_function_event_invoke_config("app", maximum_retry_attempts=0, destination_config={
        "OnSuccess": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:sink"},
        "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:sink"}})
    fast.invoke("app", {"n": 1}, invocation_type="Event", qualifier="prod")
    fast.invoke("app:prod", {"fail": True}, invocation_type="Event")
    fast.invoke("app", {"n": 3}, invocation_type="Event")
    assert fast.drain(30)
    by_payload = {json.dumps(r["requestPayload"]): r for r in records(fast, "sink")}
    success, failure, latest = (by_payload[json.dumps(p)] for p in ({"n": 1}, {"fail": True}, {"n": 3}))
    assert success["responsePayload"] == "one" and success["responseContext"]["executedVersion"] == "1"
    assert success["requestContext"]["functionArn"].endswith(":function:app:1")
    assert failure["responsePayload"]["errorMessage"] == "failed on one"
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["responseContext"]["executedVersion"] == "1"
    assert latest["responsePayload"] == "two" and latest["responseContext"]["executedVersion"] == "$LATEST"


def test_an_event_source_mapping_on_an_alias_runs_its_version(service):
    deploy_two_versions(service)
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"aliased-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = service.create_event_source_mapping("app:prod", arn)
    assert mapping["FunctionArn"].endswith(":function:app:prod")
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert service.drain(60)
    ran = [e.message for e in service.get_logs("app") if e.message.startswith(("one", "two"))]
    assert len(ran) == 1 and ran[0].startswith("one {\"Records\"")


def test_an_unknown_alias_is_refused_at_once_for_every_invocation_type(service):
    deploy_two_versions(service)
    for invocation_type in ("RequestResponse", "Event", "DryRun"):
        with pytest.raises(ResourceNotFoundException, match="app:staging"):
            service.invoke("app", {}, invocation_type=invocation_type, qualifier="staging")


def test_a_slow_init_never_delays_a_warm_invoke_of_another_function(service):
    service.create_function("slow", "import time\ntime.sleep(2)\ndef lambda_handler(e, c):\n    return 'slow'\n",
                            timeout=10)
    service.create_function("quick", "def lambda_handler(e, c):\n    return 'quick'\n")
    assert service.invoke("quick").payload == "quick"  # warm from now on
    slow = threading.Thread(target=service.invoke, args=("slow",))
    slow.start()
    while service.environments("slow") == 0:
        slow.join(0.005)
    answers = [service.invoke("quick").payload for _ in range(20)]
    still_initialising = slow.is_alive()
    slow.join()
    assert answers == ["quick"] * 20 and still_initialising


def test_after_a_reset_the_next_invoke_pays_the_init_in_its_duration(service):
    service.create_function("resets", "import time\ntime.sleep(0.3)\nCOUNT = 0\n"
                                      "def lambda_handler(e, c):\n    time.sleep(e.get('sleep', 0))\n", timeout=1)
    cold = service.invoke("resets")
    assert cold.init_duration_ms is not None and "Init Duration" in cold.logs
    assert service.invoke("resets", {"sleep": 5}).payload["errorType"] == "Sandbox.Timedout"
    after_reset = service.invoke("resets")
    assert after_reset.function_error is None
    assert after_reset.init_duration_ms is None and "Init Duration" not in after_reset.logs
    assert "INIT_START" not in after_reset.logs
    assert after_reset.duration_ms >= 300  # the module's 0.3 s sleep ran again, inside this invoke


def test_a_notebook_variable_is_not_visible_to_the_function(shell):
    shell.run("NOTEBOOK_ONLY = 42")
    shell.run("%%lambda iso\ndef lambda_handler(event, context):\n"
              "    return ['NOTEBOOK_ONLY' in globals(), 'NOTEBOOK_ONLY' in dir(__import__('builtins'))]\n")
    assert shell.value("NOTEBOOK_ONLY") == 42
    assert shell.value("lambdanb.invoke('iso').payload") == [False, False]


def test_every_parser_and_the_help_name_the_magic():
    assert "%%lambda" in LambdaMagics.lambda_cell.parser.prog
    for command in SUBCOMMANDS:
        parser = getattr(LambdaMagics, f"_{command}").parser
        assert parser.prog == f"%lambda {command}"
        assert f"%lambda {command}" in LambdaMagics.lambda_line.__doc__
