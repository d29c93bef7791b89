"""What the tests share: waiting for what background threads and processes do, zips made in memory,
resources of the local AWS made in one call, the checks an exported SAM template must pass, and the shape (key
paths) of an event."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lambdanb import aws

# The SAM CLI lives in an environment of its own (the dev script puts it on PATH), with the SAM translator.
SAM = shutil.which("sam")
CFN_LINT = Path(sys.executable).with_name("cfn-lint")
# The translator reads a packaged template: `sam package` would have uploaded the code and layer folders to S3.
_TRANSLATE = """
import sys, boto3
from samtranslator.translator.transform import transform
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.yaml_helper import yaml_parse
with open(sys.argv[1]) as template:
    document = yaml_parse(template.read())
for resource in document["Resources"].values():
    for key in ("CodeUri", "ContentUri"):
        if key in resource.get("Properties", {}):
            resource["Properties"][key] = "s3://uploaded/" + resource["Properties"][key].strip("./")
cloudformation = transform(document, {}, ManagedPolicyLoader(boto3.client("iam")))
print(" ".join(sorted({resource["Type"] for resource in cloudformation["Resources"].values()})))
"""


def eventually(check: Callable[[], object], seconds: float = 20) -> bool:
    """Work done in the background (threads, killed processes) is seen a moment later: wait for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def zipped(files: dict[str, str]) -> bytes:
    """A zip of the files given as {path: text}, as a deployment package or a layer."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def rest_api(function_arn: str) -> str:
    """A REST API "shop": items/{id} (GET) and {proxy+} (ANY), Lambda proxy integrations of the function,
    deployed to the stage prod with a stage variable; returns its id."""
    apigateway = aws.client("apigateway")
    invoke_uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    api_id = apigateway.create_rest_api(name="shop")["id"]
    root = next(r["id"] for r in apigateway.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    items = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = apigateway.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    proxy = apigateway.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    for resource, method in ((item, "GET"), (proxy, "ANY")):
        apigateway.put_method(restApiId=api_id, resourceId=resource, httpMethod=method, authorizationType="NONE")
        apigateway.put_integration(restApiId=api_id, resourceId=resource, httpMethod=method, type="AWS_PROXY",
                                   integrationHttpMethod="POST", uri=invoke_uri)
    apigateway.create_deployment(restApiId=api_id, stageName="prod", variables={"table": "orders"})
    return api_id


def make_queue(visibility_timeout: int = 30) -> tuple[Any, str, str]:
    """An SQS queue in the local AWS; returns the client, the queue's URL and its ARN."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=unique("orders"),
                           Attributes={"VisibilityTimeout": str(visibility_timeout)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def make_stream(prefix: str) -> tuple[Any, str, str]:
    """A Kinesis stream of one shard; returns the client, the stream's name and its ARN."""
    kinesis = aws.client("kinesis")
    stream = unique(prefix)
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    arn = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["StreamARN"]
    return kinesis, stream, arn


def make_table(prefix: str, view_type: str) -> tuple[Any, str, str]:
    """A DynamoDB table with a stream; returns the client, the table's name and its stream's ARN."""
    dynamodb = aws.client("dynamodb")
    table = unique(prefix)
    description = dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type})["TableDescription"]
    return dynamodb, table, description["LatestStreamArn"]


def check_template(template: Path) -> str:
    """An exported template must pass cfn-lint, `sam validate --lint` and the SAM translator (the last two where
    the SAM CLI is installed); returns the CloudFormation resource types the translator made, or "" without it."""
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
                   "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}
    commands = [[str(CFN_LINT), str(template)]]
    if SAM:
        commands += [[SAM, "validate", "--lint", "--template-file", str(template)],
                     [str(Path(SAM).with_name("python")), "-c", _TRANSLATE, str(template)]]
    done = None
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment,
                              cwd=template.parent)
        assert done.returncode == 0, f"{Path(command[0]).name} refused {template}:\n{done.stdout}{done.stderr}"
    return done.stdout.strip() if SAM and done else ""


# Maps whose keys are the caller's data (header names, attribute names, item attributes): only their presence counts.
DATA_MAPS = {"headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
             "pathParameters", "stageVariables", "MessageAttributes", "messageAttributes", "Keys", "NewImage",
             "OldImage", "authentication", "authorizer"}  # the last two: filled only with mTLS or a JWT authorizer


def shape(node: object, prefix: str = "") -> set[str]:
    """The key paths of an event, list items merged, not descending into data maps."""
    paths: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}"
            paths.add(path)
            if key not in DATA_MAPS:
                paths |= shape(value, path)
    elif isinstance(node, list):
        for item in node:
            paths |= shape(item, f"{prefix}[]")
    return paths


def as_student(notebook: dict, answer: dict, parameters_in_cell: bool = False) -> dict:
    """A lab notebook as a student with these answers has it: the cells tagged in answer["replace"] rewritten and,
    with parameters_in_cell, answer["parameters"] typed at the end of the parameters cell."""
    for cell in notebook["cells"]:
        tags = cell["metadata"].get("tags", [])
        for tag, source in answer.get("replace", {}).items():
            if tag in tags:
                cell["source"] = source
        if parameters_in_cell and "parameters" in tags:
            typed = "".join(f"\n{name} = {value!r}" for name, value in answer.get("parameters", {}).items())
            cell["source"] = "".join(cell["source"]) + typed
    return notebook
