"""Function URLs: made with the same boto3 call as on AWS, called with requests and curl like any HTTP endpoint."""
from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
import requests

import lambdanb
from lambdanb import aws
from lambdanb.errors import ResourceConflictException

ECHO = """import json
def lambda_handler(event, context):
    print("EVENT", json.dumps(event))
    if event["rawPath"] == "/structured":
        return {"statusCode": 201, "headers": {"X-Kind": "structured"}, "cookies": ["a=1", "b=2"],
                "body": json.dumps({"method": event["requestContext"]["http"]["method"]})}
    if event["rawPath"] == "/binary":
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "isBase64Encoded": True,
                "body": "iVBORw0KGgo="}
    if event["rawPath"] == "/fail":
        raise ValueError("no")
    if event["rawPath"] == "/text":
        return "plain words"
    return {"message": "hello", "query": event.get("queryStringParameters")}
"""


def last_event(name: str) -> dict:
    return json.loads(lambdanb.get_logs(name, pattern="EVENT ")[-1].message.split("EVENT ", 1)[1])


def allow_public_access(name: str) -> None:
    """The two statements a public (AuthType NONE) function URL needs, as a script for AWS adds them."""
    client = aws.client("lambda")
    client.add_permission(FunctionName=name, StatementId="FunctionURLAllowPublicAccess",
                          Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")
    client.add_permission(FunctionName=name, StatementId="FunctionURLAllowInvokeAction",
                          Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)


@pytest.fixture
def url(service):
    service.create_function("web", ECHO)
    created = aws.client("lambda").create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    allow_public_access("web")
    return created


def test_a_dict_without_status_code_becomes_a_200_json_response(url):
    answer = requests.get(url + "hello/world?a=1&a=2&b=x", headers={"Cookie": "session=abc; theme=dark"}, timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"message": "hello", "query": {"a": "1,2", "b": "x"}}
    event = last_event("web")
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/hello/world" and event["rawQueryString"] == "a=1&a=2&b=x"
    assert event["cookies"] == ["session=abc", "theme=dark"] and "cookie" not in event["headers"]
    assert event["requestContext"]["http"]["method"] == "GET" and event["requestContext"]["http"]["sourceIp"]
    assert event["requestContext"]["domainName"].endswith(".lambda-url.us-east-1.on.aws")
    assert event["isBase64Encoded"] is False and "body" not in event


def test_structured_binary_text_and_failing_responses(url):
    answer = requests.post(url + "structured", json={"k": 1}, timeout=30)
    assert answer.status_code == 201 and answer.headers["X-Kind"] == "structured"
    assert answer.json() == {"method": "POST"} and answer.cookies.get("a") == "1" and answer.cookies.get("b") == "2"
    assert json.loads(last_event("web")["body"]) == {"k": 1}
    binary = requests.put(url + "binary", data=b"\x89PNG\x00", headers={"Content-Type": "image/png"}, timeout=30)
    assert binary.content == base64.b64decode("iVBORw0KGgo=") and binary.headers["Content-Type"] == "image/png"
    sent = last_event("web")
    assert sent["isBase64Encoded"] is True and base64.b64decode(sent["body"]) == b"\x89PNG\x00"
    assert requests.get(url + "text", timeout=30).text == "plain words"
    failed = requests.get(url + "fail", timeout=30)
    assert failed.status_code == 502 and failed.text == "Internal Server Error"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_calls_the_url(url):
    out = subprocess.run(["curl", "-s", "-X", "POST", "-d", "name=ada", url + "form"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert json.loads(out) == {"message": "hello", "query": None}
    assert last_event("web")["body"] == "name=ada"


def test_config_calls_and_the_magic(shell):
    lambdanb.create_function("web", ECHO)
    client = aws.client("lambda")
    url = client.create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    assert client.get_function_url_config(FunctionName="web")["FunctionUrl"] == url
    with pytest.raises(ResourceConflictException):
        lambdanb.create_function_url_config("web")
    assert f"web's function URL: {url}" in shell.run("%lambda url web")
    client.delete_function_url_config(FunctionName="web")
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
    for _ in range(2):  # made by the magic, public as the console's; again after a delete
        made = shell.run("%lambda url web").split(": ", 1)[1].strip()
        assert requests.get(made + "hi", timeout=30).json()["message"] == "hello"
        client.delete_function_url_config(FunctionName="web")


def test_a_public_url_answers_only_where_the_policy_grants_everyone_access(service):
    service.create_function("web", ECHO)
    client = aws.client("lambda")
    url = client.create_function_url_config(FunctionName="web", AuthType="NONE")["FunctionUrl"]
    denied = requests.get(url, timeout=30)
    assert denied.status_code == 403 and denied.json() == {"Message": "Forbidden"}
    client.add_permission(FunctionName="web", StatementId="FunctionURLAllowPublicAccess",
                          Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")
    assert requests.get(url, timeout=30).status_code == 403  # lambda:InvokeFunction is needed too since 2025
    client.add_permission(FunctionName="web", StatementId="FunctionURLAllowInvokeAction",
                          Action="lambda:InvokeFunction", Principal="*", InvokedViaFunctionUrl=True)
    assert requests.get(url, timeout=30).status_code == 200
    assert len(lambdanb.get_logs("web", pattern="EVENT ")) == 1  # the refused requests invoked nothing


def test_aws_iam_urls_refuse_unsigned_requests(service):
    service.create_function("private", ECHO)
    url = service.create_function_url_config("private", auth_type="AWS_IAM")["FunctionUrl"]
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 403 and answer.json() == {"Message": "Forbidden"}
