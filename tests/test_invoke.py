"""The Python API: Invocation records, warm and cold environments, the context and the environment variables."""
from __future__ import annotations

import json
import os
import re
import uuid

import pytest

from lambdanb.errors import (
    InvalidRequestContentException,
    LambdaNBError,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)

HELLO = 'def lambda_handler(event, context):\n    return {"statusCode": 200, "body": "Hello from AWS Lambda"}\n'

COUNTER = '''
import os
count = 0
def lambda_handler(event, context):
    global count
    count += 1
    path = "/tmp/lambdanb-test-" + context.log_stream_name.replace("/", "_")
    with open(path, "a") as f:
        f.write("x")
    return {"count": count, "tmp": os.path.getsize(path), "pid": os.getpid()}
'''

CONTEXT = '''
import time
def lambda_handler(event, context):
    first = context.get_remaining_time_in_millis()
    time.sleep(0.05)
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "memory_type": type(context.memory_limit_in_mb).__name__,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": type(context.identity).__name__,
        "cognito_identity_id": context.identity.cognito_identity_id,
        "client_context": context.client_context is None,
        "remaining": [first, context.get_remaining_time_in_millis()],
    }
'''


def test_invocation_record(service):
    service.create_function("myLambdaFunction", HELLO)
    r = service.invoke("myLambdaFunction", {"key1": "value1"})
    assert r.payload == {"statusCode": 200, "body": "Hello from AWS Lambda"}
    assert r.status_code == 200 and r.function_error is None and r.executed_version == "$LATEST"
    assert uuid.UUID(r.request_id).version == 4
    assert r.memory_size_mb == 128
    assert 0 < r.max_memory_used_mb < 128
    assert r.duration_ms > 0 and r.init_duration_ms > 0
    assert r.billed_duration_ms == int(-(-(r.duration_ms + r.init_duration_ms) // 1))
    assert r.logs.splitlines()[0].startswith("INIT_START Runtime Version: python:3.12")
    assert r.logs.splitlines()[-1].startswith(f"REPORT RequestId: {r.request_id}\t")
    assert "Execution result: succeeded" in str(r)
    html = r._repr_html_()
    assert "Execution result: succeeded" in html and "Function Logs" in html and "Max memory used" in html


def test_warm_environment_keeps_globals_and_tmp(service):
    service.create_function("counter", COUNTER)
    first, second, third = (service.invoke("counter").payload for _ in range(3))
    assert [first["count"], second["count"], third["count"]] == [1, 2, 3]
    assert [first["tmp"], second["tmp"], third["tmp"]] == [1, 2, 3]
    assert first["pid"] == second["pid"] == third["pid"] != os.getpid()


def test_init_runs_once_per_environment(service):
    service.create_function("inits", "print('INIT ran')\ndef lambda_handler(event, context):\n    return 1\n")
    cold = service.invoke("inits")
    warm = service.invoke("inits")
    assert "INIT ran" in cold.logs and cold.init_duration_ms is not None
    assert "INIT ran" not in warm.logs and warm.init_duration_ms is None
    assert "Init Duration" in cold.logs and "Init Duration" not in warm.logs


def test_context_attributes(service):
    service.create_function("ctx", CONTEXT, memory_size=256)
    r = service.invoke("ctx")
    c = r.payload
    assert c["aws_request_id"] == r.request_id
    assert c["function_name"] == "ctx" and c["function_version"] == "$LATEST"
    assert c["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:ctx"
    assert c["memory_limit_in_mb"] == "256" and c["memory_type"] == "str"
    assert c["log_group_name"] == "/aws/lambda/ctx"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", c["log_stream_name"])
    assert c["identity"] == "CognitoIdentity" and c["cognito_identity_id"] is None
    assert c["client_context"] is True
    first, later = c["remaining"]
    assert 0 < first <= 3000 and later <= first - 40  # it counts down to the deadline
    assert service.invoke("ctx").payload["aws_request_id"] != c["aws_request_id"]


def test_client_context_reaches_the_function(service):
    service.create_function("cc", "def lambda_handler(e, c):\n    return [c.client_context.custom, "
                                  "c.client_context.client.app_title]\n")
    r = service.invoke("cc", client_context={"custom": {"a": 1}, "client": {"app_title": "t"}})
    assert r.payload == [{"a": 1}, "t"]


def test_environment_has_lambda_variables_and_nothing_of_the_kernel(service, monkeypatch):
    monkeypatch.setenv("KERNEL_SECRET_TOKEN", "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "kernel-secret")
    service.create_function("env", "import os\ndef lambda_handler(e, c):\n    return dict(os.environ)\n",
                            environment={"STAGE": "dev"}, memory_size=512)
    env = service.invoke("env").payload
    assert "KERNEL_SECRET_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert "hunter2" not in json.dumps(env) and "kernel-secret" not in json.dumps(env)
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "env"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/env"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"].startswith(f"{env['AWS_LAMBDA_LOG_STREAM_NAME'][:10]}/[$LATEST]")
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["_HANDLER"] == "lambda_function.lambda_handler"
    assert env["TZ"] == ":UTC"
    assert env["STAGE"] == "dev"
    assert os.path.isfile(os.path.join(env["LAMBDA_TASK_ROOT"], "lambda_function.py"))


def test_task_root_is_the_working_directory_and_holds_the_cell(service):
    code = "import os\ndef lambda_handler(e, c):\n    return [os.getcwd(), open('lambda_function.py').read()]\n"
    service.create_function("cwd", code)
    cwd, text = service.invoke("cwd").payload
    assert text == code
    assert cwd == str(service.get_function("cwd").task_root)


def test_environment_is_its_own_session_and_process_group(service):
    service.create_function("group", "import os\ndef lambda_handler(e, c):\n"
                                     "    return [os.getpid(), os.getpgid(0), os.getsid(0)]\n")
    pid, group, session = service.invoke("group").payload
    assert pid == group == session
    assert group != os.getpgid(0) and session != os.getsid(0)


def test_events_of_every_json_type(service):
    service.create_function("echo", "def lambda_handler(e, c):\n    return e\n")
    for event in [None, 1, 2.5, "text", [1, "a"], {"nested": {"k": [True, None]}}]:
        assert service.invoke("echo", event).payload == event
    assert service.invoke("echo", b'{"raw": 1}').payload == {"raw": 1}


def test_python312_writes_unicode_unescaped_and_bytes_pass_through(service):
    service.create_function("uni", "def lambda_handler(e, c):\n    return {'word': 'héllo'}\n")
    assert service.invoke("uni").payload == {"word": "héllo"}
    service.create_function("raw", "def lambda_handler(e, c):\n    return b'not json'\n")
    assert service.invoke("raw").payload == b"not json"


def test_unknown_function_and_qualifier(service):
    with pytest.raises(ResourceNotFoundException, match=r"Function not found: arn:aws:lambda:us-east-1:"
                                                         r"123456789012:function:ghost:\$LATEST"):
        service.invoke("ghost")
    service.create_function("real", HELLO)
    with pytest.raises(ResourceNotFoundException, match="function:real:7"):
        service.invoke("real", qualifier="7")
    assert service.invoke("arn:aws:lambda:us-east-1:123456789012:function:real").payload["statusCode"] == 200


def test_request_limits_and_bad_events(service):
    service.create_function("echo", "def lambda_handler(e, c):\n    return len(e)\n")
    assert service.invoke("echo", "x" * 6_000_000).payload == 6_000_000
    with pytest.raises(RequestTooLargeException,
                       match="Request must be smaller than 6291456 bytes for the InvokeFunction operation"):
        service.invoke("echo", "x" * 6_291_457)
    with pytest.raises(InvalidRequestContentException, match="Could not parse request body into json"):
        service.invoke("echo", b"{nope")
    with pytest.raises(LambdaNBError, match="The event must be JSON data"):
        service.invoke("echo", {1, 2})


def test_dry_run_validates_only(service):
    service.create_function("dry", "print('ran')\ndef lambda_handler(e, c):\n    return 1\n")
    r = service.invoke("dry", {}, invocation_type="DryRun")
    assert r.status_code == 204 and r.payload is None
    assert len(service.get_logs("dry")) == 0


def test_create_update_delete(service):
    service.create_function("fn", HELLO)
    with pytest.raises(ResourceConflictException, match="Function already exist: fn"):
        service.create_function("fn", HELLO)
    with pytest.raises(ValidationException, match="2 validation errors detected"):
        service.create_function("fn2", HELLO, memory_size=64, timeout=1000)
    service.update_function("fn", HELLO.replace("200", "201"), memory_size=256)
    assert service.invoke("fn").payload["statusCode"] == 201
    assert service.get_function("fn").memory_size == 256 and service.get_function("fn").revision == 2
    assert [f.name for f in service.list_functions()] == ["fn"]
    service.delete_function("fn")
    assert service.list_functions() == []
    assert service.environments("fn") == 0
    with pytest.raises(ResourceNotFoundException):
        service.delete_function("fn")


def test_module_api_uses_one_service():
    import lambdanb
    lambdanb.configure(deterministic=False)
    try:
        lambdanb.create_function("api-fn", HELLO)
        assert lambdanb.invoke("api-fn").payload["body"] == "Hello from AWS Lambda"
        assert "START RequestId" in str(lambdanb.get_logs("api-fn"))
        assert [f.name for f in lambdanb.list_functions()] == ["api-fn"]
        lambdanb.delete_function("api-fn")
    finally:
        lambdanb.api.shutdown()


def test_metrics_count_invocations_errors_and_duration(service):
    service.create_function("m", "def lambda_handler(e, c):\n    if e: raise ValueError('no')\n    return 1\n")
    for event in (None, None, True):
        service.invoke("m", event)
    metrics = service.get_metrics("m")
    assert metrics["Invocations"] == 3 and metrics["Errors"] == 1
    assert 0 < metrics["Duration p50"] <= metrics["Duration p99"] <= metrics["Duration Maximum"]
