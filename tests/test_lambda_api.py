"""The Lambda API for scripts and the CLI: the AWS CLI's tutorial verbatim, boto3 scripts with waiters, paging,
code from S3, the configuration around a function, and Lambda's errors."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from support import zipped

from lambdanb import aws

DEFAULT_ROLE = "arn:aws:iam::123456789012:role/lambdanb-default"  # a function without a role of its own
V1 = 'def lambda_handler(event, context):\n    return {"version": 1, "event": event}\n'
V2 = 'def lambda_handler(event, context):\n    print("v2 here")\n    return {"version": 2, "event": event}\n'


def sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()




def test_aws_cli_tutorial(endpoint, tmp_path):
    role = f"lambda-ex-{uuid.uuid4().hex[:6]}"
    role_arn = aws.create_role(role, ["AWSLambdaBasicExecutionRole"])
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1"}
    cli = str(Path(sys.executable).with_name("aws"))

    def aws_cli(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([cli, *arguments, "--endpoint-url", endpoint.url], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)

    (tmp_path / "function.zip").write_bytes(zipped({"lambda_function.py": V1}))
    done = aws_cli("lambda", "create-function", "--function-name", "my-function", "--zip-file", "fileb://function.zip",
                   "--handler", "lambda_function.lambda_handler", "--runtime", "python3.12", "--role", role_arn)
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert created["CodeSha256"] == sha256((tmp_path / "function.zip").read_bytes())
    assert created["State"] == "Active" and created["Role"] == role_arn

    done = aws_cli("lambda", "invoke", "--function-name", "my-function", "out", "--log-type", "Tail")
    assert done.returncode == 0, done.stderr
    assert "START RequestId" in base64.b64decode(json.loads(done.stdout)["LogResult"]).decode()
    assert json.loads((tmp_path / "out").read_text())["version"] == 1

    done = aws_cli("lambda", "invoke", "--function-name", "my-function", "out", "--log-type", "Tail", "--query",
                   "LogResult", "--output", "text")
    assert "REPORT RequestId" in base64.b64decode(done.stdout).decode()
    done = aws_cli("lambda", "list-functions", "--max-items", "10")
    assert [f["FunctionName"] for f in json.loads(done.stdout)["Functions"]] == ["my-function"]
    assert json.loads(aws_cli("lambda", "get-function", "--function-name", "my-function").stdout)[
        "Configuration"]["LastUpdateStatus"] == "Successful"

    (tmp_path / "function.zip").write_bytes(zipped({"lambda_function.py": V2}))
    done = aws_cli("lambda", "update-function-code", "--function-name", "my-function", "--zip-file",
                   "fileb://function.zip")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["CodeSha256"] == sha256((tmp_path / "function.zip").read_bytes())
    done = aws_cli("lambda", "invoke", "--function-name", "my-function", "--payload", '{"key": "value"}', "out")
    assert json.loads((tmp_path / "out").read_text()) == {"version": 2, "event": {"key": "value"}}

    assert aws_cli("lambda", "delete-function", "--function-name", "my-function").returncode == 0
    done = aws_cli("lambda", "get-function", "--function-name", "my-function")
    assert done.returncode != 0 and "ResourceNotFoundException" in done.stderr
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:my-function" in done.stderr


def test_boto3_create_update_version_alias_delete_with_waiters(client):
    code = zipped({"lambda_function.py": V1})
    created = client.create_function(FunctionName="script", Runtime="python3.12", Role=DEFAULT_ROLE,
                                     Handler="lambda_function.lambda_handler", Code={"ZipFile": code},
                                     Tags={"team": "course"})
    assert created["CodeSha256"] == sha256(code) and created["CodeSize"] == len(code)
    client.get_waiter("function_active_v2").wait(FunctionName="script")
    client.get_waiter("function_exists").wait(FunctionName="script")

    new_code = zipped({"lambda_function.py": V2})
    client.update_function_code(FunctionName="script", ZipFile=new_code)
    client.get_waiter("function_updated_v2").wait(FunctionName="script", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    client.update_function_configuration(FunctionName="script", MemorySize=256,
                                         Environment={"Variables": {"STAGE": "test"}})
    client.get_waiter("function_updated_v2").wait(FunctionName="script", WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    configuration = client.get_function_configuration(FunctionName="script")
    assert configuration["MemorySize"] == 256 and configuration["Environment"] == {"Variables": {"STAGE": "test"}}
    assert configuration["CodeSha256"] == sha256(new_code), "a configuration change keeps the code"

    version = client.publish_version(FunctionName="script", Description="first")
    assert version["Version"] == "1" and version["FunctionArn"].endswith(":script:1")
    client.get_waiter("published_version_active").wait(FunctionName="script", Qualifier="1")
    client.create_alias(FunctionName="script", Name="prod", FunctionVersion="1")
    assert client.get_alias(FunctionName="script", Name="prod")["FunctionVersion"] == "1"
    client.update_function_code(FunctionName="script", ZipFile=code, Publish=True)
    client.update_alias(FunctionName="script", Name="prod", FunctionVersion="2")
    assert [v["Version"] for v in client.list_versions_by_function(FunctionName="script")["Versions"]] == \
        ["$LATEST", "1", "2"]
    assert [a["Name"] for a in client.list_aliases(FunctionName="script")["Aliases"]] == ["prod"]
    answer = client.invoke(FunctionName="script", Qualifier="prod", Payload=b'{"n": 1}')
    assert answer["ExecutedVersion"] == "2" and json.loads(answer["Payload"].read())["version"] == 1
    function = client.get_function(FunctionName="script", Qualifier="1")
    assert function["Tags"] == {"team": "course"}
    with urllib.request.urlopen(function["Code"]["Location"]) as download:
        assert download.read() == new_code, "version 1's zip, as uploaded"

    client.delete_alias(FunctionName="script", Name="prod")
    client.delete_function(FunctionName="script", Qualifier="1")
    assert [v["Version"] for v in client.list_versions_by_function(FunctionName="script")["Versions"]] == \
        ["$LATEST", "2"]
    client.delete_function(FunctionName="script")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function(FunctionName="script")


def test_list_functions_pages_with_marker_and_paginator(client, service):
    for number in range(5):
        service.create_function(f"page-{number}", V1)
    first = client.list_functions(MaxItems=2)
    assert [f["FunctionName"] for f in first["Functions"]] == ["page-0", "page-1"] and "NextMarker" in first
    second = client.list_functions(MaxItems=2, Marker=first["NextMarker"])
    assert [f["FunctionName"] for f in second["Functions"]] == ["page-2", "page-3"]
    pages = client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2})
    assert [f["FunctionName"] for p in pages for f in p["Functions"]] == [f"page-{n}" for n in range(5)]


def test_code_from_the_local_s3(client):
    s3 = aws.client("s3")
    bucket = f"code-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    code = zipped({"lambda_function.py": V1})
    s3.put_object(Bucket=bucket, Key="v1.zip", Body=code)
    created = client.create_function(FunctionName="from-s3", Runtime="python3.12", Role=DEFAULT_ROLE, Handler=
                                     "lambda_function.lambda_handler", Code={"S3Bucket": bucket, "S3Key": "v1.zip"})
    assert created["CodeSha256"] == sha256(code)
    assert json.loads(client.invoke(FunctionName="from-s3")["Payload"].read())["version"] == 1
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="S3 Error Code: NoSuchKey"):
        client.update_function_code(FunctionName="from-s3", S3Bucket=bucket, S3Key="missing.zip")


def test_the_configuration_around_a_function(client, service):
    service.create_function("around", V1)
    client.put_function_concurrency(FunctionName="around", ReservedConcurrentExecutions=5)
    assert client.get_function_concurrency(FunctionName="around")["ReservedConcurrentExecutions"] == 5
    client.delete_function_concurrency(FunctionName="around")
    assert "ReservedConcurrentExecutions" not in client.get_function_concurrency(FunctionName="around")

    client.publish_version(FunctionName="around")
    client.put_provisioned_concurrency_config(FunctionName="around", Qualifier="1",
                                              ProvisionedConcurrentExecutions=1)
    assert client.get_provisioned_concurrency_config(FunctionName="around", Qualifier="1")["Status"] == "READY"
    with pytest.raises(client.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        client.get_provisioned_concurrency_config(FunctionName="around", Qualifier="2")

    client.put_function_event_invoke_config(FunctionName="around", MaximumRetryAttempts=1)
    assert client.get_function_event_invoke_config(FunctionName="around")["MaximumRetryAttempts"] == 1
    client.delete_function_event_invoke_config(FunctionName="around")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="doesn't have an EventInvokeConfig"):
        client.get_function_event_invoke_config(FunctionName="around")

    url = client.create_function_url_config(FunctionName="around", AuthType="NONE")
    assert url["FunctionUrl"].startswith("http://127.0.0.1:")  # served here, on loopback
    assert client.get_function_url_config(FunctionName="around")["AuthType"] == "NONE"
    client.delete_function_url_config(FunctionName="around")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_function_url_config(FunctionName="around")

    statement = json.loads(client.add_permission(
        FunctionName="around", StatementId="s3-invoke", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::bucket")["Statement"])
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    policy = json.loads(client.get_policy(FunctionName="around")["Policy"])
    assert policy["Version"] == "2012-10-17" and [s["Sid"] for s in policy["Statement"]] == ["s3-invoke"]
    assert policy["Statement"][0]["Condition"] == {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::bucket"}}
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.add_permission(FunctionName="around", StatementId="s3-invoke", Action="lambda:InvokeFunction",
                              Principal="s3.amazonaws.com")
    client.remove_permission(FunctionName="around", StatementId="s3-invoke")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_policy(FunctionName="around")

    arn = "arn:aws:lambda:us-east-1:123456789012:function:around"
    client.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    client.untag_resource(Resource=arn, TagKeys=["a"])
    assert client.list_tags(Resource=arn)["Tags"] == {"b": "2"}

    settings = client.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountUsage"]["FunctionCount"] == 1


def test_event_source_mapping_get_and_update(client, service):
    service.create_function("reader", V1)
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"api-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = client.create_event_source_mapping(FunctionName="reader", EventSourceArn=arn, BatchSize=5)
    assert client.get_event_source_mapping(UUID=mapping["UUID"])["BatchSize"] == 5
    assert client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)["State"] in ("Disabled",
                                                                                              "Disabling")
    client.delete_event_source_mapping(UUID=mapping["UUID"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_event_source_mapping(UUID=mapping["UUID"])


def test_lambdas_errors_as_aws_gives_them(client, service, endpoint):
    service.create_function("taken", V1)
    with pytest.raises(client.exceptions.ResourceConflictException, match="Function already exist: taken") as caught:
        client.create_function(FunctionName="taken", Runtime="python3.12", Role=DEFAULT_ROLE, Handler="x.y",
                               Code={"ZipFile": zipped({"x.py": ""})})
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="Could not unzip uploaded file"):
        client.create_function(FunctionName="bad-zip", Runtime="python3.12", Role=DEFAULT_ROLE, Handler="x.y",
                               Code={"ZipFile": b"not a zip"})
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="Layer version .* does not exist"):
        client.create_function(FunctionName="no-layer", Runtime="python3.12", Role=DEFAULT_ROLE, Handler="x.y",
                               Code={"ZipFile": zipped({"x.py": ""})},
                               Layers=["arn:aws:lambda:us-east-1:123456789012:layer:ghost:1"])
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="cannot be assumed by Lambda"):
        client.create_function(FunctionName="no-role", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/"
                               "ghost", Handler="x.y", Code={"ZipFile": zipped({"x.py": ""})})
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.get_function_configuration(FunctionName="ghost")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError, match="does not serve the GetFunctionCodeSigningConfig operation"):
        client.get_function_code_signing_config(FunctionName="taken")
    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(f"{endpoint.url}/2099-01-01/nothing")
    assert unknown.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
