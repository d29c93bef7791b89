"""The SQS poller: long-polls a queue, invokes with batches, deletes what succeeded."""
from __future__ import annotations

import time
from typing import Any

from ... import aws
from ...arns import REGION, name_of
from .polling import MappingPoller

MAX_BATCH_BYTES = 6 * 1024 * 1024


class SQSReader:
    """Receives and deletes messages of one queue of the local AWS; finds the queue on first use."""

    def __init__(self, queue_arn: str) -> None:
        self.queue_arn = queue_arn
        self._sqs: Any = None
        self._url = ""

    def _client(self) -> tuple[Any, str]:
        if self._sqs is None:
            sqs = aws.client("sqs")
            self._url = sqs.get_queue_url(QueueName=name_of(self.queue_arn))["QueueUrl"]
            self._sqs = sqs
        return self._sqs, self._url

    def receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        sqs, url = self._client()
        return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, count), WaitTimeSeconds=wait_seconds,
                                   AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])

    def delete(self, messages: list[dict[str, Any]]) -> None:
        sqs, url = self._client()
        for start in range(0, len(messages), 10):
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[start:start + 10])])

    def empty(self) -> bool:
        """No message visible or in flight."""
        sqs, url = self._client()
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return all(value == "0" for value in attributes.values())


class SQSPoller(MappingPoller):
    """Failures come back after the visibility timeout; with ReportBatchItemFailures only the failed ones do."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = SQSReader(self.mapping.event_source_arn)

    def check_source(self) -> None:
        self.reader.empty()

    def poll_once(self) -> bool:
        messages = self._batch()
        if not messages:
            self.idle = self.reader.empty()
            return False
        self.idle = False
        records, dropped = self.select([self._record(message) for message in messages])
        if dropped:  # Lambda deletes the messages its filters leave out
            self.reader.delete([{"ReceiptHandle": r["receiptHandle"]} for r in dropped])
        if not records:
            return True
        kept = {record["messageId"] for record in records}
        messages = [m for m in messages if m["MessageId"] in kept]
        invocation = self.call(records)
        if invocation is None:
            return True
        failed = self.failed_items(invocation, [m["MessageId"] for m in messages])
        if failed is None:
            return True  # the whole batch becomes visible again after the visibility timeout
        self.reader.delete([m for m in messages if m["MessageId"] not in failed])
        return True

    def _batch(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages, waiting up to the batching window for more."""
        mapping = self.mapping
        window_ends = time.monotonic() + mapping.maximum_batching_window_in_seconds
        messages: list[dict[str, Any]] = []
        size = 0
        while len(messages) < mapping.batch_size and size < MAX_BATCH_BYTES and not self.stopped.is_set():
            wait = 1 if not messages else max(0, min(1, round(window_ends - time.monotonic())))
            received = self.reader.receive(mapping.batch_size - len(messages), wait)
            messages += received
            size += sum(len(m["Body"]) for m in received)
            if not received and (not messages or time.monotonic() >= window_ends):
                break
            if messages and time.monotonic() >= window_ends:
                break
        return messages

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        record = {
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {name: {"stringValue": value.get("StringValue"), "stringListValues": [],
                                         "binaryListValues": [], "dataType": value["DataType"]}
                                  for name, value in message.get("MessageAttributes", {}).items()},
            "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
            "eventSourceARN": self.mapping.event_source_arn, "awsRegion": REGION}
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record
