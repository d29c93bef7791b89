"""The local AWS's resources an exported function uses, written into its template instead of the local account's
ARNs: queues, tables, streams, buckets, topics and event buses become resources (each named by a parameter whose
default is its name in the notebook); any other ARN of the local account becomes a parameter to fill in."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .. import aws
from ..arns import ACCOUNT_ID, REGION, Arn

# What a resource of each kind is called in a template, and its parameter's description.
_KINDS = {"sqs": ("Queue", "SQS queue"), "dynamodb": ("Table", "DynamoDB table"),
          "kinesis": ("Stream", "Kinesis stream"), "s3": ("Bucket", "S3 bucket"), "sns": ("Topic", "SNS topic"),
          "events": ("EventBus", "EventBridge event bus")}
_QUEUE_URL = re.compile(rf"https?://[^/\s]+/{ACCOUNT_ID}/(?P<name>[A-Za-z0-9_.-]+)")
_QUEUE_DEFAULTS = {"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
                   "ReceiveMessageWaitTimeSeconds": "0"}


def logical_id(name: str, suffix: str = "") -> str:
    """A CloudFormation logical id from a name: its words capitalised and joined (order-processor → OrderProcessor)."""
    words = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]", name) if part)
    if not words[:1].isalpha():
        words = "Resource" + words
    return words + suffix


@dataclass
class Declared:
    """A resource the template declares in place of a local one: how the template refers to its ARN, its name and,
    for some kinds, more (a queue's URL, a table's stream)."""

    logical_id: str
    arn: Any
    name: Any
    more: dict[str, Any] = field(default_factory=dict)


class Stack:
    """The template's Parameters and Resources besides the function, grown as the export meets values of the
    notebook (ARNs, queue URLs, names) that name resources of the local AWS."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)  # logical ids the template gives its function and layers
        self.parameters: dict[str, Any] = {}
        self.resources: dict[str, Any] = {}
        self._declared: dict[tuple[str, str], Declared | None] = {}  # (kind, local name) → declared, or None

    def refer(self, value: str) -> Any:
        """What the template writes for a value naming a resource of the local account: a reference to the
        resource it declares for it, else a parameter; any other value unchanged."""
        url = _QUEUE_URL.fullmatch(value)
        if url:
            declared = self.declare("sqs", url["name"])
            return declared.more["url"] if declared else self.parameter(value, "queue URL")
        arn = Arn.parse(value)
        if arn is None or arn.account not in (ACCOUNT_ID, ""):
            return value
        found = self._reference(arn)
        if found is None:  # an S3 ARN names no account: only a bucket the local AWS has is the notebook's
            return self.parameter(value, "ARN") if arn.account == ACCOUNT_ID else value
        return found

    def _reference(self, arn: Arn) -> Any | None:
        """The template's reference for a local ARN of a resource it declares (or part of one: a table's stream,
        a bucket's objects), None if it declares none."""
        kind, name, part = _resource_of(arn)
        declared = self.declare(kind, name) if kind and "*" not in name else None
        if declared is None:
            return None
        if part == "stream":
            return declared.more["stream"]
        return declared.arn if part == "" else {"Fn::Sub": f"${{{declared.logical_id}.Arn}}{part}"}

    def refer_by_name(self, value: str) -> Any:
        """For an environment variable: an ARN, a queue URL, or the name of a table, bucket, stream or queue the
        local AWS has, as the template refers to it; any other value unchanged."""
        found = self.refer(value)
        if found != value:
            return found
        for kind in ("dynamodb", "s3", "kinesis", "sqs"):
            declared = self.declare(kind, value)
            if declared:
                return declared.name
        return value

    def refer_in_policy(self, value: str) -> Any:
        """A policy statement's Resource: as refer(), and an ARN pattern of the local account (table/T/index/*)
        is written with the stack's own account and region."""
        arn = Arn.parse(value)
        found = self._reference(arn) if arn else None
        if found is not None:
            return found
        if arn and arn.account == ACCOUNT_ID:
            return {"Fn::Sub": value.replace(f":{REGION}:", ":${AWS::Region}:")
                    .replace(f":{ACCOUNT_ID}:", ":${AWS::AccountId}:")}
        return value

    def parameter(self, value: str, what: str) -> dict[str, str]:
        """A parameter for a local ARN (or URL) that the template cannot declare: `sam deploy --guided` asks for
        the real one."""
        arn = Arn.parse(value)
        base = logical_id(arn.name if arn else value.rsplit("/", 1)[-1], logical_id(arn.service) if arn else "")
        name = base + ("Arn" if what == "ARN" else "Url")
        self.parameters.setdefault(name, {"Type": "String", "Description": f"The {what} on AWS of what the notebook "
                                                                           f"knew as {value}"})
        return {"Ref": name}

    def declare(self, kind: str, name: str) -> Declared | None:
        """The resource declared for a local one of this kind and name (described from the local AWS on first
        use); None where the local AWS has no such resource."""
        key = (kind, name)
        if key not in self._declared:
            self._declared[key] = self._describe(kind, name)
        return self._declared[key]

    def free_id(self, logical: str) -> str:
        """A logical id no resource of the template (nor its function or layers) has yet: logical, else with X
        appended."""
        while logical in self.resources or logical in self.taken:
            logical += "X"
        return logical

    def name_parameter(self, logical: str, name: str, what: str) -> dict[str, str]:
        """The parameter naming a declared resource, its default the name in the notebook, as a Ref to it."""
        self.parameters[logical + "Name"] = {"Type": "String", "Default": name,
                                             "Description": f"The name of the {what} ({name} in the notebook)"}
        return {"Ref": logical + "Name"}

    def _describe(self, kind: str, name: str) -> Declared | None:
        suffix, what = _KINDS[kind]
        logical = self.free_id(logical_id(name, suffix))
        try:
            properties = _PROPERTIES[kind](name, self, {"Ref": logical + "Name"})
        except (ClientError, BotoCoreError):
            return None
        self.name_parameter(logical, name, what)
        self.resources[logical] = {"Type": f"AWS::{_TYPES[kind]}", "Properties": properties}
        ref, arn = {"Ref": logical}, {"Fn::GetAtt": [logical, "Arn"]}
        if kind == "sqs":
            return Declared(logical, arn, {"Fn::GetAtt": [logical, "QueueName"]}, {"url": ref})
        if kind == "sns":
            return Declared(logical, ref, {"Fn::GetAtt": [logical, "TopicName"]})
        more = {"stream": {"Fn::GetAtt": [logical, "StreamArn"]}} if kind == "dynamodb" else {}
        return Declared(logical, arn, ref, more)


def _resource_of(arn: Arn) -> tuple[str, str, str]:
    """(kind, name, rest) of a local ARN a template can declare: rest is "" for the resource itself, "stream" for
    a table's stream, or the "/..." after it (a bucket's objects, a table's indexes); ("", "", "") otherwise."""
    resource = arn.resource
    if arn.service in ("sqs", "sns") and ":" not in resource:
        return arn.service, resource, ""
    if arn.service == "s3":
        bucket, slash, rest = resource.partition("/")
        return "s3", bucket, slash + rest
    prefix = {"dynamodb": "table/", "kinesis": "stream/", "events": "event-bus/"}.get(arn.service)
    if prefix and resource.startswith(prefix):
        name, slash, rest = resource[len(prefix):].partition("/")
        if arn.service == "dynamodb" and rest.startswith("stream/"):
            return "dynamodb", name, "stream"
        return arn.service, name, slash + rest
    return "", "", ""


def _queue(name: str, stack: Stack, name_ref: Any) -> dict[str, Any]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    properties: dict[str, Any] = {"QueueName": name_ref,
                                  "VisibilityTimeout": int(attributes.get("VisibilityTimeout", 30))}
    for key, default in _QUEUE_DEFAULTS.items():
        if attributes.get(key, default) != default:
            properties[key] = int(attributes[key])
    if attributes.get("FifoQueue") == "true":
        properties["FifoQueue"] = True
        properties["ContentBasedDeduplication"] = attributes.get("ContentBasedDeduplication") == "true"
    if attributes.get("RedrivePolicy"):
        redrive = json.loads(attributes["RedrivePolicy"])
        properties["RedrivePolicy"] = {"deadLetterTargetArn": stack.refer(redrive["deadLetterTargetArn"]),
                                       "maxReceiveCount": int(redrive["maxReceiveCount"])}
    return properties


def _table(name: str, stack: Stack, name_ref: Any) -> dict[str, Any]:
    table = aws.client("dynamodb").describe_table(TableName=name)["Table"]
    on_demand = table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"

    def capacity(described: dict[str, Any]) -> dict[str, Any]:
        throughput = described.get("ProvisionedThroughput", {})
        return {} if on_demand else {"ProvisionedThroughput": {
            "ReadCapacityUnits": throughput.get("ReadCapacityUnits") or 1,
            "WriteCapacityUnits": throughput.get("WriteCapacityUnits") or 1}}

    properties: dict[str, Any] = {"TableName": name_ref, "KeySchema": table["KeySchema"],
                                  "AttributeDefinitions": table["AttributeDefinitions"],
                                  "BillingMode": "PAY_PER_REQUEST" if on_demand else "PROVISIONED", **capacity(table)}
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if table.get(key):
            properties[key] = [{"IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
                                "Projection": index["Projection"],
                                **(capacity(index) if key.startswith("Global") else {})} for index in table[key]]
    stream = table.get("StreamSpecification", {})
    if stream.get("StreamEnabled"):
        properties["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    return properties


def _stream(name: str, stack: Stack, name_ref: Any) -> dict[str, Any]:
    summary = aws.client("kinesis").describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    mode = summary.get("StreamModeDetails", {}).get("StreamMode", "PROVISIONED")
    properties: dict[str, Any] = {"Name": name_ref, "RetentionPeriodHours": summary.get("RetentionPeriodHours", 24),
                                  "StreamModeDetails": {"StreamMode": mode}}
    if mode == "PROVISIONED":
        properties["ShardCount"] = summary.get("OpenShardCount") or 1
    return properties


def _bucket(name: str, stack: Stack, name_ref: Any) -> dict[str, Any]:
    aws.client("s3").head_bucket(Bucket=name)
    return {"BucketName": name_ref}


def _topic(name: str, stack: Stack, name_ref: Any) -> dict[str, Any]:
    sns = aws.client("sns")
    sns.get_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}")
    return {"TopicName": name_ref, **({"FifoTopic": True} if name.endswith(".fifo") else {})}


def _event_bus(name: str, stack: Stack, name_ref: Any) -> dict[str, Any]:
    aws.client("events").describe_event_bus(Name=name)
    return {"Name": name_ref}


_PROPERTIES: dict[str, Callable[[str, Stack, Any], dict[str, Any]]] = {
    "sqs": _queue, "dynamodb": _table, "kinesis": _stream, "s3": _bucket, "sns": _topic, "events": _event_bus}
_TYPES = {"sqs": "SQS::Queue", "dynamodb": "DynamoDB::Table", "kinesis": "Kinesis::Stream", "s3": "S3::Bucket",
          "sns": "SNS::Topic", "events": "Events::EventBus"}
