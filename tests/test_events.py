"""What a function receives: the trace id of each invoke in every runtime, and test events shaped as AWS's."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest
from support import shape

from lambdanb.errors import LambdaNBError
from lambdanb.events import TEMPLATES, generate

TRACE_ID = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def test_native_python_sets_the_trace_id_for_each_invoke_only(service):
    service.create_function("traced", '''
import os
AT_INIT = os.environ.get("_X_AMZN_TRACE_ID")
def lambda_handler(event, context):
    return {"now": os.environ.get("_X_AMZN_TRACE_ID"), "init": AT_INIT}
''')
    first, second = service.invoke("traced").payload, service.invoke("traced").payload
    assert TRACE_ID.fullmatch(first["now"]) and TRACE_ID.fullmatch(second["now"])
    assert first["now"] != second["now"]
    assert first["init"] is None  # only an invoke has a trace


def test_runtime_api_runtimes_get_the_trace_id(service):
    service.create_function("ric", '''
import os
def lambda_handler(event, context):
    return os.environ.get("_X_AMZN_TRACE_ID")
''', runtime_client="awslambdaric")
    assert TRACE_ID.fullmatch(service.invoke("ric").payload)


@needs_node
def test_node_gets_the_trace_id(service):
    service.create_function("node", "export const handler = async () => process.env._X_AMZN_TRACE_ID;\n",
                            runtime="nodejs20.x")
    assert TRACE_ID.fullmatch(service.invoke("node").payload)


SAM_EVENTS = {"apigateway-rest": "apigateway aws-proxy", "apigateway-http": "apigateway http-api-proxy",
              "s3-put": "s3 put", "sqs": "sqs receive-message", "sns": "sns notification",
              "kinesis": "kinesis get-records", "dynamodb-update": "dynamodb update",
              "eventbridge-scheduled": "cloudwatch scheduled-event"}
# Keys AWS sends that the SAM CLI's samples lack.
NOT_IN_SAM = {"apigateway-rest": {".requestContext.domainName", ".requestContext.domainPrefix",
                                  ".requestContext.extendedRequestId"},
              "eventbridge-scheduled": {".version"}}


@pytest.mark.skipif(shutil.which("sam") is None, reason="the SAM CLI (pip install aws-sam-cli) is not on PATH")
@pytest.mark.parametrize("name", SAM_EVENTS)
def test_templates_have_the_keys_of_the_sam_cli_samples(name):
    sam = subprocess.run(["sam", "local", "generate-event", *SAM_EVENTS[name].split()], capture_output=True,
                         text=True, check=True, env={**os.environ, "SAM_CLI_TELEMETRY": "0"}).stdout
    ours, theirs = shape(generate(name)), shape(json.loads(sam))
    assert theirs - ours == set()
    assert ours - theirs == NOT_IN_SAM.get(name, set())


def test_every_template_is_compared():
    assert set(TEMPLATES) - set(SAM_EVENTS) == {"hello-world"}


def test_rest_api_path_parameters():
    proxy = generate("apigateway-rest", path="/photos/2024/cat.jpg", resource="/{proxy+}")
    assert proxy["resource"] == proxy["requestContext"]["resourcePath"] == "/{proxy+}"
    assert proxy["pathParameters"] == {"proxy": "photos/2024/cat.jpg"}
    user = generate("apigateway-rest", path="/users/ada/orders/7", resource="/users/{user}/orders/{order}")
    assert user["pathParameters"] == {"user": "ada", "order": "7"}
    given = generate("apigateway-rest", path="/x", resource="/{id}", path_parameters={"id": "y"})
    assert given["pathParameters"] == {"id": "y"}
    assert generate("apigateway-rest", path="/hello")["pathParameters"] is None


def test_s3_keys_encoded_as_s3_does():
    record = generate("s3-put", key="photos/summer holiday/cat+dog.jpg")["Records"][0]
    assert record["s3"]["object"]["key"] == "photos/summer+holiday/cat%2Bdog.jpg"


def test_sqs_md5_of_body_is_computed():
    record = generate("sqs", body={"order": 1})["Records"][0]
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()


def test_sns_message_attributes():
    sns = generate("sns", attributes={"kind": "order", "total": 12, "raw": b"\x01"})["Records"][0]["Sns"]
    assert sns["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"},
                                        "total": {"Type": "Number", "Value": "12"},
                                        "raw": {"Type": "Binary", "Value": "AQ=="}}


def test_dynamodb_records_by_event_name():
    assert [r["eventName"] for r in generate("dynamodb-update")["Records"]] == ["INSERT", "MODIFY", "REMOVE"]
    images = {name: set(generate("dynamodb-update", event_name=name, keys={"id": {"S": "a"}})["Records"][0]["dynamodb"])
              for name in ("INSERT", "MODIFY", "REMOVE")}
    assert "OldImage" not in images["INSERT"] and "NewImage" in images["INSERT"]
    assert {"OldImage", "NewImage"} <= images["MODIFY"]
    assert "NewImage" not in images["REMOVE"] and "OldImage" in images["REMOVE"]
    with pytest.raises(LambdaNBError, match="eventName"):
        generate("dynamodb-update", event_name="UPSERT")
