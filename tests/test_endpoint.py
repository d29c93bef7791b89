"""Real clients against lambdanb's Lambda endpoint: boto3, the AWS CLI, and a function invoking another."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from lambdanb import aws

HELLO = '''
def lambda_handler(event, context):
    print("hello", event)
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"statusCode": 200, "body": "Hello from AWS Lambda", "event": event}
'''


@pytest.fixture
def client(client, service):
    service.create_function("hello", HELLO)
    return client


def test_boto3_invoke_sync_with_tail_logs(client):
    r = client.invoke(FunctionName="hello", Payload=json.dumps({"a": 1}), LogType="Tail")
    assert r["StatusCode"] == 200 and r["ExecutedVersion"] == "$LATEST" and "FunctionError" not in r
    assert json.loads(r["Payload"].read()) == {"statusCode": 200, "body": "Hello from AWS Lambda", "event": {"a": 1}}
    tail = base64.b64decode(r["LogResult"]).decode()
    assert "START RequestId:" in tail and "hello {'a': 1}" in tail and "REPORT RequestId:" in tail


def test_boto3_function_error_async_dry_run_and_not_found(client, service):
    r = client.invoke(FunctionName="hello", Payload=json.dumps({"fail": True}))
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "ValueError"
    assert client.invoke(FunctionName="hello", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    assert client.invoke(FunctionName="hello", InvocationType="DryRun", Payload=b"{}")["StatusCode"] == 204
    assert service.drain(30)
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Function not found"):
        client.invoke(FunctionName="ghost", Payload=b"{}")
    with pytest.raises(ClientError, match="RequestTooLargeException"):
        client.invoke(FunctionName="hello", Payload=json.dumps("x" * 6_300_000))


def test_boto3_throttles_with_reason(client):
    client.put_function_concurrency(FunctionName="hello", ReservedConcurrentExecutions=0)
    with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
        client.invoke(FunctionName="hello", Payload=b"{}")
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_boto3_configuration_calls(client, service):
    configuration = client.get_function(FunctionName="hello")["Configuration"]
    assert configuration["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:hello"
    assert configuration["Runtime"] == "python3.12" and configuration["MemorySize"] == 128
    assert [f["FunctionName"] for f in client.list_functions()["Functions"]] == ["hello"]
    config = client.put_function_event_invoke_config(FunctionName="hello", MaximumRetryAttempts=0)
    assert config["MaximumRetryAttempts"] == 0
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"endpoint-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = client.create_event_source_mapping(FunctionName="hello", EventSourceArn=arn, BatchSize=5)
    assert mapping["State"] == "Enabled" and mapping["BatchSize"] == 5
    assert [m["UUID"] for m in client.list_event_source_mappings(FunctionName="hello")["EventSourceMappings"]] \
        == [mapping["UUID"]]
    client.delete_event_source_mapping(UUID=mapping["UUID"])
    assert service.list_event_source_mappings("hello") == []


def test_aws_cli_invoke(client, service, endpoint, tmp_path):
    out = tmp_path / "response.json"
    cli = Path(sys.executable).with_name("aws")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([str(cli), "lambda", "invoke", "--function-name", "hello", "--endpoint-url",
                           endpoint.url, "--payload",
                           '{"from": "cli"}', "--log-type", "Tail", str(out)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["StatusCode"] == 200 and summary["ExecutedVersion"] == "$LATEST"
    assert "START RequestId" in base64.b64decode(summary["LogResult"]).decode()
    assert json.loads(out.read_text())["event"] == {"from": "cli"}


def test_a_function_invokes_another_with_boto3(client, service):
    role = f"caller-{uuid.uuid4().hex[:8]}"
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"])
    service.create_function("caller", '''
import boto3, json
client = boto3.client("lambda")
def lambda_handler(event, context):
    sync = client.invoke(FunctionName="hello", Payload=json.dumps({"from": "caller"}))
    queued = client.invoke(FunctionName="hello", InvocationType="Event", Payload=json.dumps({"from": "async"}))
    return [json.loads(sync["Payload"].read())["event"], queued["StatusCode"]]
''', role=role, memory_size=256, timeout=30)
    assert service.invoke("caller").payload == [{"from": "caller"}, 202]
    assert service.drain(30)
    assert any("hello {'from': 'async'}" in e.message for e in service.get_logs("hello"))
