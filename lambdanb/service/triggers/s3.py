"""S3 notifications to a function: the bucket notifies an internal SQS queue (what moto can do), and a
forwarder turns each notification into an asynchronous invoke with Lambda's S3 event shape."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ... import aws
from ...arns import function_arn
from ..event_sources.polling import PollingLoop
from ..event_sources.sqs import SQSReader

if TYPE_CHECKING:
    from ..frontend import Frontend


@dataclass
class S3Trigger:
    """The console's "Add trigger → S3": which bucket events invoke which function."""

    function_name: str
    bucket: str
    events: list[str]
    prefix: str
    suffix: str
    queue_arn: str  # the internal queue the bucket notifies
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def describe(self) -> dict[str, Any]:
        return {"Bucket": self.bucket, "FunctionArn": function_arn(self.function_name), "Events": list(self.events),
                "Prefix": self.prefix, "Suffix": self.suffix, "UUID": self.uuid}


def _complete(record: dict[str, Any]) -> dict[str, Any]:
    """Fill in the fields of Lambda's S3 event record that moto leaves out."""
    record.setdefault("userIdentity", {"principalId": "AWS:LAMBDANB"})
    record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
    record.setdefault("responseElements", {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                                           "x-amz-id-2": uuid.uuid4().hex})
    bucket = record["s3"]["bucket"]
    bucket.setdefault("ownerIdentity", {"principalId": "LAMBDANB"})
    obj = record["s3"]["object"]
    obj.setdefault("sequencer", hashlib.sha256(obj["key"].encode()).hexdigest()[:18].upper())
    return record


class S3Forwarder(PollingLoop):
    """Reads the bucket's notification queue and invokes the function asynchronously, one event per record."""

    def __init__(self, trigger: S3Trigger, frontend: Frontend) -> None:
        super().__init__(f"lambdanb-s3-{trigger.bucket}")
        self.trigger = trigger
        self.frontend = frontend
        self.reader = SQSReader(trigger.queue_arn)

    def poll_once(self) -> bool:
        messages = self.reader.receive(10, wait_seconds=1)
        if not messages:
            self.idle = True
            return False
        self.idle = False
        for message in messages:
            notification = json.loads(message["Body"])
            for record in notification.get("Records", []):  # a bucket's s3:TestEvent has none
                self.frontend.invoke(self.trigger.function_name, {"Records": [_complete(record)]},
                                     invocation_type="Event", source="s3")
        self.reader.delete(messages)
        return True


def configure_bucket(bucket: str, function_name: str, events: list[str], prefix: str, suffix: str) -> str:
    """Point the bucket's notifications at a new internal queue; returns the queue's ARN."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"lambdanb-s3-{bucket}-{function_name}"[:80])["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rules = [{"Name": name, "Value": value} for name, value in (("prefix", prefix), ("suffix", suffix)) if value]
    configuration: dict[str, Any] = {"QueueArn": arn, "Events": list(events)}
    if rules:
        configuration["Filter"] = {"Key": {"FilterRules": rules}}
    s3 = aws.client("s3")
    existing = s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", [])
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [*existing, configuration]})
    return arn
