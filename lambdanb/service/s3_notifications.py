"""S3 notifications to a function: the bucket notifies an internal SQS queue (what moto can do), and a
forwarder turns each notification into an asynchronous invoke with Lambda's S3 event shape."""
from __future__ import annotations

import hashlib
import json
import uuid

from .. import aws
from .event_sources import EventSourceMapping, SQSPoller


def _complete(record: dict) -> dict:
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


class S3Forwarder(SQSPoller):
    """Reads the bucket's notification queue and invokes the function asynchronously, one event per record."""

    def __init__(self, mapping: EventSourceMapping, invoke_async, metrics, deliver) -> None:
        super().__init__(mapping, None, metrics, deliver)
        self.invoke_async = invoke_async

    def poll_once(self) -> bool:
        messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = messages.get("Messages", [])
        if not messages:
            self.idle = True
            return False
        self.idle = False
        for message in messages:
            notification = json.loads(message["Body"])
            for record in notification.get("Records", []):  # a bucket's s3:TestEvent has none
                self.invoke_async(self.mapping.function_name, {"Records": [_complete(record)]})
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return True


def configure_bucket(bucket: str, function_name: str, events: list[str], prefix: str, suffix: str) -> str:
    """Point the bucket's notifications at a new internal queue; returns the queue's ARN."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"lambdanb-s3-{bucket}-{function_name}"[:80])["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rules = [{"Name": name, "Value": value} for name, value in (("prefix", prefix), ("suffix", suffix)) if value]
    configuration = {"QueueArn": arn, "Events": list(events)}
    if rules:
        configuration["Filter"] = {"Key": {"FilterRules": rules}}
    s3 = aws.client("s3")
    existing = s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", [])
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [*existing, configuration]})
    return arn
