"""Test events: the console's templates as JSON, and generate() to fill one in (as `sam local generate-event`)."""
from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.parse
import uuid
from collections.abc import Callable
from importlib import resources
from typing import Any

from ..arns import ACCOUNT_ID, REGION
from ..errors import LambdaNBError

TEMPLATES = ("hello-world", "apigateway-rest", "apigateway-http", "s3-put", "sqs", "sns", "kinesis",
             "dynamodb-update", "eventbridge-scheduled")


def template(name: str) -> dict:
    """A template as it is shipped."""
    if name not in TEMPLATES:
        raise LambdaNBError(f"There is no event template '{name}'; the templates are {', '.join(TEMPLATES)}.")
    shipped = resources.files(__name__).joinpath("templates").joinpath(f"{name}.json")
    loaded: dict[str, Any] = json.loads(shipped.read_text())
    return loaded


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _path_parameters(resource: str, path: str) -> dict[str, str] | None:
    """The values a request path gives a resource's {name} and {name+} segments, as API Gateway passes them."""
    names, values = resource.strip("/").split("/"), path.strip("/").split("/")
    found: dict[str, str] = {}
    for index, name in enumerate(names):
        if not (name.startswith("{") and name.endswith("}")):
            continue
        if name.endswith("+}"):
            found[name[1:-2]] = "/".join(values[index:])
        elif index < len(values):
            found[name[1:-1]] = values[index]
    return found or None


def _api_rest(event: dict, method: str = "GET", path: str = "/hello", body: Any = None,
              query: dict | None = None, headers: dict | None = None, resource: str | None = None,
              path_parameters: dict[str, str] | None = None, stage_variables: dict[str, str] | None = None) -> dict:
    resource = resource or path
    event.update(httpMethod=method, path=path, resource=resource, queryStringParameters=query or None,
                 multiValueQueryStringParameters={k: [v] for k, v in query.items()} if query else None,
                 pathParameters=path_parameters or _path_parameters(resource, path),
                 stageVariables=stage_variables or None,
                 body=body if body is None or isinstance(body, str) else json.dumps(body))
    event["requestContext"].update(httpMethod=method, resourcePath=resource, path=f"/prod{path}")
    if headers:
        event["headers"].update(headers)
        event["multiValueHeaders"].update({k: [v] for k, v in headers.items()})
    return event


def _api_http(event: dict, method: str = "GET", path: str = "/hello", body: Any = None,
              query: dict | None = None, headers: dict | None = None) -> dict:
    event.update(routeKey=f"{method} {path}", rawPath=path, rawQueryString=urllib.parse.urlencode(query or {}),
                 queryStringParameters=query or {},
                 body=body if body is None or isinstance(body, str) else json.dumps(body))
    event["requestContext"].update(routeKey=f"{method} {path}")
    event["requestContext"]["http"].update(method=method, path=path)
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    return event


def _s3_put(event: dict, bucket: str = "example-bucket", key: str = "test/key", size: int = 1024) -> dict:
    record = event["Records"][0]
    record["eventTime"] = _now()
    record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    record["s3"]["object"].update(key=urllib.parse.quote_plus(key, safe="/"), size=size)  # as S3 encodes keys
    return event


def _sqs(event: dict, body: Any = "Hello from SQS!", queue: str = "my-queue") -> dict:
    record = event["Records"][0]
    text = body if isinstance(body, str) else json.dumps(body)
    record.update(messageId=str(uuid.uuid4()), body=text, md5OfBody=hashlib.md5(text.encode()).hexdigest(),
                  eventSourceARN=f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue}")
    record["attributes"]["SentTimestamp"] = str(int(time.time() * 1000))
    return event


def _sns_attribute(value: str | bytes | float) -> dict[str, str]:
    if isinstance(value, bytes):
        return {"Type": "Binary", "Value": base64.b64encode(value).decode()}
    if isinstance(value, (int, float)):
        return {"Type": "Number", "Value": str(value)}
    return {"Type": "String", "Value": value}


def _sns(event: dict, message: Any = "Hello from SNS!", subject: str = "TestInvoke",
         attributes: dict[str, str | bytes | float] | None = None) -> dict:
    sns = event["Records"][0]["Sns"]
    sns.update(Message=message if isinstance(message, str) else json.dumps(message), Subject=subject,
               Timestamp=_now(), MessageId=str(uuid.uuid4()))
    if attributes is not None:
        sns["MessageAttributes"] = {name: _sns_attribute(value) for name, value in attributes.items()}
    return event


def _kinesis(event: dict, data: Any = "Hello, this is a test.", partition_key: str = "1",
             stream: str = "lambda-stream") -> dict:
    record = event["Records"][0]
    raw = data if isinstance(data, bytes) else (data if isinstance(data, str) else json.dumps(data)).encode()
    record["kinesis"].update(data=base64.b64encode(raw).decode(), partitionKey=partition_key,
                             approximateArrivalTimestamp=time.time())
    record["eventSourceARN"] = f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{stream}"
    return event


def _dynamodb(event: dict, keys: dict | None = None, new_image: dict | None = None, old_image: dict | None = None,
              event_name: str | None = None, table: str = "ExampleTable") -> dict:
    """All three records of the template, or one record of event_name (INSERT by default) when anything is given:
    INSERT has the new image, MODIFY both, REMOVE the old one, as a NEW_AND_OLD_IMAGES stream writes them."""
    stream_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{table}/stream/2015-06-27T00:48:05.899"
    for record in event["Records"]:
        record["eventSourceARN"] = stream_arn
    if keys is None and new_image is None and old_image is None and event_name is None:
        return event
    event_name = event_name or "INSERT"
    records = {record["eventName"]: record for record in event["Records"]}
    if event_name not in records:
        raise LambdaNBError(f"A DynamoDB stream record's eventName is one of {', '.join(records)}, not {event_name}.")
    record = records[event_name]
    change = record["dynamodb"]
    change.update(ApproximateCreationDateTime=int(time.time()))
    if keys is not None:
        change["Keys"] = keys
    for name, image in (("NewImage", new_image), ("OldImage", old_image)):
        if name in change and image is not None:
            change[name] = image
    change["SizeBytes"] = len(json.dumps({k: change[k] for k in ("Keys", "NewImage", "OldImage") if k in change}))
    record["eventID"] = uuid.uuid4().hex
    return {"Records": [record]}


def _scheduled(event: dict, rule: str = "my-scheduled-rule") -> dict:
    event.update(id=str(uuid.uuid4()), time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 resources=[f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}"])
    return event


_FILL: dict[str, Callable[..., dict[str, Any]]] = {
    "hello-world": lambda event, **values: {**event, **values}, "apigateway-rest": _api_rest,
    "apigateway-http": _api_http, "s3-put": _s3_put, "sqs": _sqs, "sns": _sns, "kinesis": _kinesis,
    "dynamodb-update": _dynamodb, "eventbridge-scheduled": _scheduled}


def generate(name: str, **values: Any) -> dict:
    """A test event from a template, e.g. generate("s3-put", bucket="photos", key="cat.jpg") or
    generate("apigateway-http", method="POST", path="/signup", body={"user": "ada"})."""
    event = template(name)
    try:
        return _FILL[name](event, **values)
    except TypeError as error:
        raise LambdaNBError(f"The {name} template does not take that: {error}.") from None
