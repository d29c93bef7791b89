"""Lambda is part of the local AWS: the Lambda API at its endpoint, and moto's own invokes (S3 notifications, SNS
subscriptions), reach lambdanb's Lambda endpoint in the kernel."""
from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.config import Config
from support import unique

from lambdanb import aws
from lambdanb.aws import LocalAWS
from lambdanb.errors import LambdaNBError

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:thumbnails"
CALLER = '''
import os, boto3
def lambda_handler(event, context):
    # Only AWS_ENDPOINT_URL, as a function meant for AWS would have it: no Lambda-specific endpoint.
    os.environ.pop("AWS_ENDPOINT_URL_LAMBDA", None)
    answer = boto3.client("lambda").invoke(FunctionName="callee", Payload=b'{"n": 20}')
    return {"endpoint": os.environ["AWS_ENDPOINT_URL"], "answer": answer["Payload"].read().decode()}
'''


class Recorder:
    """A stand-in for the kernel's Lambda endpoint that keeps every request it gets and answers 202."""

    def __init__(self) -> None:
        self.requests: queue.Queue[tuple[str, str, dict[str, str], bytes]] = queue.Queue()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.put((self.command, self.path, dict(self.headers), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def next(self) -> tuple[str, str, dict[str, str], dict]:
        method, path, headers, body = self.requests.get(timeout=10)
        return method, path, headers, json.loads(body)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def routed():
    """A local AWS of its own whose Lambda is the recorder."""
    local, recorder = LocalAWS(), Recorder()
    local.route_lambda_to(recorder.url)
    yield local, recorder
    local.stop()
    recorder.close()


def test_without_lambdanbs_endpoint_the_lambda_api_answers_one_sentence():
    local = LocalAWS()
    try:
        client = local.client("lambda", config=Config(retries={"max_attempts": 1}))
        with pytest.raises(client.exceptions.ClientError) as error:
            client.list_functions()
        assert error.value.response["Error"]["Code"] == "ServiceUnavailableException"
        assert error.value.response["Error"]["Message"] == (
            "lambdanb's Lambda service is not running in this kernel: it starts with the first lambdanb call "
            "(a %%lambda cell, or lambdanb.lambda_service()).")
    finally:
        local.stop()


def test_the_lambda_endpoint_is_asked_for_once_the_local_aws_runs():
    """The kernel's endpoint starts with the local AWS: a notebook that never uses it runs no HTTP server."""
    local, recorder, asked = LocalAWS(), Recorder(), []

    def endpoint_url() -> str:
        asked.append(recorder.url)
        return recorder.url

    try:
        local.route_lambda_to(endpoint_url)
        assert asked == []
        local.client("lambda").invoke(FunctionName="thumbnails", InvocationType="Event", Payload=b'{"n": 1}')
        assert asked == [recorder.url]
        method, path, _, body = recorder.next()
        assert (method, path, body) == ("POST", "/2015-03-31/functions/thumbnails/invocations", {"n": 1})
    finally:
        local.stop()
        recorder.close()


def test_the_lambda_api_at_the_local_aws_reaches_lambdanb(service):
    service.create_function("callee", "def lambda_handler(e, c):\n    return e['n'] + 1\n")
    role = unique("caller")
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"])
    service.create_function("caller", CALLER, role=role, memory_size=256, timeout=30)
    answer = aws.client("lambda").invoke(FunctionName="callee", Payload=b'{"n": 1}')
    assert answer["Payload"].read() == b"2"
    assert answer["ExecutedVersion"] == "$LATEST"
    names = {f["FunctionName"] for f in aws.client("lambda").list_functions()["Functions"]}
    assert {"callee", "caller"} <= names
    result = service.invoke("caller").payload
    assert result == {"endpoint": aws.endpoint(), "answer": "21"}


def test_an_s3_notification_becomes_an_async_invoke(routed):
    local, recorder = routed
    s3 = local.client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FUNCTION_ARN, "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}}}]})
    s3.put_object(Bucket="uploads", Key="notes.txt", Body=b"not matched")
    s3.put_object(Bucket="uploads", Key="cat.jpg", Body=b"jpeg")

    # S3 first asks Lambda whether it may invoke the function (a DryRun invoke on its principal's behalf).
    method, path, headers, _ = recorder.next()
    assert (method, path) == ("POST", "/2015-03-31/functions/thumbnails/invocations")
    assert headers["X-Amz-Invocation-Type"] == "DryRun"
    assert headers["X-Lambdanb-Source-Principal"] == "s3.amazonaws.com"
    assert headers["X-Lambdanb-Source-Arn"] == "arn:aws:s3:::uploads"
    method, path, headers, event = recorder.next()
    assert (method, path) == ("POST", "/2015-03-31/functions/thumbnails/invocations")
    assert headers["X-Amz-Invocation-Type"] == "Event"
    assert headers["X-Lambdanb-Source-Principal"] == "s3.amazonaws.com"
    (record,) = event["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == "uploads" and record["s3"]["object"]["key"] == "cat.jpg"
    assert recorder.requests.empty()


def test_an_sns_lambda_subscription_becomes_an_async_invoke(routed):
    local, recorder = routed
    sns = local.client("sns")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=f"{FUNCTION_ARN}:live")
    sns.publish(TopicArn=topic, Message="order 42", Subject="new order")

    method, path, headers, event = recorder.next()
    assert (method, path) == ("POST", "/2015-03-31/functions/thumbnails/invocations?Qualifier=live")
    assert headers["X-Amz-Invocation-Type"] == "Event"
    assert (headers["X-Lambdanb-Source-Principal"], headers["X-Lambdanb-Source-Arn"]) == ("sns.amazonaws.com", topic)
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["Sns"]["Message"] == "order 42" and record["Sns"]["Subject"] == "new order"


def test_a_lambda_endpoint_must_be_an_http_url():
    with pytest.raises(LambdaNBError, match="must be an http:// URL"):
        LocalAWS().route_lambda_to("ftp://127.0.0.1:1")


def test_a_function_without_a_matching_name_is_lambdanbs_to_judge(routed):
    """moto checks nothing about the function before invoking it: every function 'exists' for it, and lambdanb's
    Lambda answers for the name (here the recorder takes anything)."""
    local, recorder = routed
    s3 = local.client("s3")
    s3.create_bucket(Bucket="elsewhere")
    s3.put_bucket_notification_configuration(Bucket="elsewhere", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": FUNCTION_ARN.replace("thumbnails", "no-such"),
                                          "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="elsewhere", Key="k", Body=b"v")
    assert recorder.next()[2]["X-Amz-Invocation-Type"] == "DryRun"
    assert recorder.next()[1] == "/2015-03-31/functions/no-such/invocations"


def test_plain_boto3_with_only_the_endpoint_url_is_routed_to_lambda_with_its_caller(routed, monkeypatch):
    local, recorder = routed
    role = local.create_role("a-function", ["AWSLambdaBasicExecutionRole"])
    for name, value in {"AWS_ENDPOINT_URL": local.start(), **local.credentials(role)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_LAMBDA", raising=False)
    client = boto3.client("lambda", region_name="us-east-1")
    client.meta.events.register("before-sign.lambda.Invoke",
                                lambda request, **_: request.headers.add_header("X-Lambdanb-Caller-Arn", "forged"))
    client.invoke(FunctionName="thumbnails", InvocationType="Event", Payload=b'{"k": 1}')
    method, path, headers, event = recorder.next()
    assert (method, path, event) == ("POST", "/2015-03-31/functions/thumbnails/invocations", {"k": 1})
    assert headers["X-Amz-Invocation-Type"] == "Event"
    assert "/lambda/aws4_request" in headers["Authorization"]
    assert headers["X-Lambdanb-Caller-Arn"] == "arn:aws:sts::123456789012:assumed-role/a-function/lambdanb"


def test_the_lambda_api_names_the_notebooks_administrator_as_its_caller(routed):
    local, recorder = routed
    local.client("lambda").invoke(FunctionName="thumbnails", InvocationType="Event", Payload=b"{}")
    headers = recorder.next()[2]
    assert headers["X-Lambdanb-Caller-Arn"] == "arn:aws:iam::123456789012:user/lambdanb-notebook"


@pytest.mark.parametrize("secret, code", [("wrong-secret", "InvalidSignatureException"),
                                          (None, "UnrecognizedClientException")])
def test_the_lambda_api_refuses_a_request_it_cannot_authenticate(routed, secret, code):
    local, recorder = routed
    (admin_key,) = local.client("iam").list_access_keys(UserName="lambdanb-notebook")["AccessKeyMetadata"]
    key_id = admin_key["AccessKeyId"] if secret else "AKIAUNKNOWN000000000"
    client = boto3.client("lambda", endpoint_url=local.start(), region_name="us-east-1", aws_access_key_id=key_id,
                          aws_secret_access_key=secret or "anything", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(client.exceptions.ClientError) as error:
        client.invoke(FunctionName="thumbnails", Payload=b"{}")
    assert error.value.response["Error"]["Code"] == code
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert recorder.requests.empty()


def test_a_lambda_request_without_a_whole_signature_is_refused(routed):
    local, recorder = routed
    (admin_key,) = local.client("iam").list_access_keys(UserName="lambdanb-notebook")["AccessKeyMetadata"]
    scope = f"{admin_key['AccessKeyId']}/20240101/us-east-1/lambda/aws4_request"
    request = urllib.request.Request(f"{local.start()}/2015-03-31/functions/thumbnails/invocations", data=b"{}",
                                     method="POST", headers={"Authorization": f"AWS4-HMAC-SHA256 Credential={scope}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert refused.value.headers["x-amzn-ErrorType"] == "IncompleteSignatureException"
    assert recorder.requests.empty()
