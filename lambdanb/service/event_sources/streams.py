"""The stream pollers: read each shard of a Kinesis stream or DynamoDB stream in order, one batch at a time."""
from __future__ import annotations

import base64
import time
import uuid
from abc import abstractmethod
from functools import cached_property
from typing import Any

from ... import aws
from ...arns import DEFAULT_ROLE, REGION, function_arn, name_of
from ...log import problem
from ...records import Invocation, InvocationType, TimelineEntry
from ..destinations import send_record
from .polling import MappingPoller

FIRST_RETRY_DELAY = 1.0  # seconds before the first retry of a failed batch; doubled for each further retry
MAX_RETRY_DELAY = 60.0
THROTTLED_DELAY = 0.1


class StreamPoller(MappingPoller):
    """Reads each shard in order, one batch at a time; a failed batch is retried (or bisected) before the shard
    moves on; with ReportBatchItemFailures the shard checkpoints at the lowest failed sequence number."""

    kind = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.iterators: dict[str, str] = {}

    def check_source(self) -> None:
        self._shards()

    def poll_once(self) -> bool:
        if not self.iterators:
            self.iterators = {shard: self._iterator(shard) for shard in self._shards()}
        worked = False
        for shard, iterator in list(self.iterators.items()):
            response = self._get_records(iterator)
            if response["Records"]:
                worked = True
                batch = self.select([self._record(shard, r) for r in response["Records"]])[0]
                if batch and not self._process(shard, batch):
                    break  # stopped or disabled: enabled again, the shard reads these records again
            self.iterators[shard] = response.get("NextShardIterator") or iterator
        self.idle = not worked
        return worked

    def _process(self, shard: str, records: list[dict[str, Any]]) -> bool:
        """Invoke with the records in batches, retrying (or bisecting) a failed batch, with a delay that doubles
        between tries; records older than MaximumRecordAgeInSeconds are skipped (to the OnFailure destination);
        False when the mapping was stopped or disabled first."""
        pending = [records]
        while pending:
            batch = pending.pop(0)
            attempts = 0
            invocation: Invocation | None = None
            while True:
                if self.stopped.is_set() or not self.enabled:
                    return False
                batch = self._skip_expired(shard, batch, attempts, invocation)
                if not batch:
                    break
                invocation = self.call(batch)
                if invocation is None:  # throttled
                    self.pause(THROTTLED_DELAY)
                    continue
                attempts += 1
                self._iterator_age(batch, invocation, attempts)
                sequence = [self._sequence(r) for r in batch]
                failed = self.failed_items(invocation, sequence)
                if failed == []:
                    break
                if failed:  # retry from the lowest failed sequence number
                    batch = batch[min(sequence.index(f) for f in failed):]
                if self.mapping.bisect_batch_on_function_error and len(batch) > 1:
                    middle = len(batch) // 2
                    pending[:0] = [batch[:middle], batch[middle:]]
                    break
                retries = self.mapping.maximum_retry_attempts
                if retries != -1 and attempts > retries:
                    self._give_up(shard, batch, "RetryAttemptsExhausted", attempts, invocation)
                    break
                self.backing_off = retries == -1
                delay = min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY, self._until_expiry(batch))
                try:
                    if not self.pause(delay):
                        return False
                finally:
                    self.backing_off = False
        return True

    def _skip_expired(self, shard: str, batch: list[dict], attempts: int,
                      invocation: Invocation | None) -> list[dict]:
        """The batch without its records older than MaximumRecordAgeInSeconds, which go to the OnFailure
        destination as Lambda sends them (condition RecordAgeExceeded)."""
        limit = self.mapping.maximum_record_age_in_seconds
        if limit == -1:
            return batch
        now = time.time()
        expired: list[dict] = []
        fresh: list[dict] = []
        for record in batch:
            (expired if now - self._arrival(record) > limit else fresh).append(record)
        if expired:
            self._give_up(shard, expired, "RecordAgeExceeded", attempts, invocation)
        return fresh

    def _until_expiry(self, batch: list[dict]) -> float:
        """Seconds until the batch's oldest record is older than MaximumRecordAgeInSeconds (no limit: forever)."""
        limit = self.mapping.maximum_record_age_in_seconds
        if limit == -1:
            return float("inf")
        # a moment past the limit, so that the record is expired when the poller looks again
        return max(0.0, min(self._arrival(r) for r in batch) + limit - time.time()) + 0.01

    def _iterator_age(self, batch: list[dict[str, Any]], invocation: Invocation, attempts: int) -> None:
        """IteratorAge (the batch's last record's age when the function had it) as a metric, and on the function's
        timeline for the console's live Monitor."""
        now, arrived = time.time(), self._arrival(batch[-1])
        function_name = self.mapping.function_name
        self.metrics.put(function_name, "IteratorAge", (now - arrived) * 1000, now)
        self.frontend.invoker.timelines[function_name].append(TimelineEntry(
            "batch", function_name, invocation.executed_version or "", "", arrived, now, invocation.request_id,
            InvocationType.REQUEST_RESPONSE.value, f"event-source:{self.mapping.uuid}", attempts))

    def _give_up(self, shard: str, batch: list[dict], condition: str, attempts: int,
                 invocation: Invocation | None) -> None:
        """Send the batch's description to the OnFailure destination, if there is one: retries exhausted, or
        records too old (perhaps before any invoke)."""
        if not self.mapping.on_failure:
            return
        clock = self.clock
        info_key = "KinesisBatchInfo" if self.kind == "kinesis" else "DDBStreamBatchInfo"
        version = invocation.executed_version if invocation else None
        record: dict[str, Any] = {
            "requestContext": {"requestId": invocation.request_id if invocation else str(uuid.uuid4()),
                               "functionArn": function_arn(self.mapping.function_name, version),
                               "condition": condition, "approximateInvokeCount": attempts},
            **({"responseContext": {"statusCode": 200, "executedVersion": invocation.executed_version,
                                    "functionError": invocation.function_error or "Unhandled"}} if invocation else {}),
            "version": "1.0",
            "timestamp": clock.iso_now(),
            info_key: {"shardId": shard, "startSequenceNumber": self._sequence(batch[0]),
                       "endSequenceNumber": self._sequence(batch[-1]),
                       "approximateArrivalOfFirstRecord": clock.iso(self._arrival(batch[0])),
                       "approximateArrivalOfLastRecord": clock.iso(self._arrival(batch[-1])),
                       "batchSize": len(batch), "streamArn": self.mapping.event_source_arn}}
        try:
            send_record(self.frontend, self.mapping.on_failure, record)
        except Exception as error:
            self.metrics.put(self.mapping.function_name, "DestinationDeliveryFailures", 1, time.time())
            problem(f"on-failure destination of {self.thread.name}", error)

    @abstractmethod
    def _shards(self) -> list[str]:
        """The stream's shard ids."""

    @abstractmethod
    def _iterator(self, shard: str) -> str:
        """A shard iterator at the mapping's starting position."""

    @abstractmethod
    def _get_records(self, iterator: str) -> dict:
        """GetRecords: {"Records": [...], "NextShardIterator": ...}."""

    @abstractmethod
    def _record(self, shard: str, raw: dict) -> dict:
        """One record in the shape Lambda gives the function."""

    @abstractmethod
    def _sequence(self, record: dict) -> str:
        """A record's sequence number."""

    @abstractmethod
    def _arrival(self, record: dict) -> float:
        """When a record reached the stream, in seconds since the epoch."""


class KinesisPoller(StreamPoller):
    kind = "kinesis"

    @cached_property
    def client(self) -> Any:
        return aws.client("kinesis")

    @property
    def role(self) -> str:
        """The function's execution role: Lambda reads the stream with it."""

        mapping = self.mapping
        return self.frontend.functions.resolve(mapping.function_name, mapping.qualifier).role or DEFAULT_ROLE

    @property
    def stream(self) -> str:
        return name_of(self.mapping.event_source_arn)

    def _shards(self) -> list[str]:
        return [s["ShardId"] for s in self.client.list_shards(StreamName=self.stream)["Shards"]]

    def _iterator(self, shard: str) -> str:
        return self.client.get_shard_iterator(StreamName=self.stream, ShardId=shard,
                                              ShardIteratorType=self.mapping.starting_position)["ShardIterator"]

    def _get_records(self, iterator: str) -> dict:
        return self.client.get_records(ShardIterator=iterator, Limit=self.mapping.batch_size)

    def _record(self, shard: str, raw: dict) -> dict:
        return {"kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": raw["PartitionKey"],
                            "sequenceNumber": raw["SequenceNumber"],
                            "data": base64.b64encode(raw["Data"]).decode(),
                            "approximateArrivalTimestamp": raw["ApproximateArrivalTimestamp"].timestamp()},
                "eventSource": "aws:kinesis", "eventVersion": "1.0",
                "eventID": f"{shard}:{raw['SequenceNumber']}", "eventName": "aws:kinesis:record",
                "invokeIdentityArn": self.role, "awsRegion": REGION,
                "eventSourceARN": self.mapping.event_source_arn}

    def _sequence(self, record: dict) -> str:
        return record["kinesis"]["sequenceNumber"]

    def _arrival(self, record: dict) -> float:
        return record["kinesis"]["approximateArrivalTimestamp"]


def as_event_json(value: Any) -> Any:
    """A stream record's attributes as Lambda's event carries them: binary values (B, BS) as base64 text, where
    boto3 has decoded them into bytes."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: as_event_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_event_json(item) for item in value]
    return value


class DynamoDBStreamPoller(StreamPoller):
    kind = "dynamodb"

    @cached_property
    def client(self) -> Any:
        return aws.client("dynamodbstreams")

    def _shards(self) -> list[str]:
        description = self.client.describe_stream(StreamArn=self.mapping.event_source_arn)["StreamDescription"]
        return [s["ShardId"] for s in description["Shards"]]

    def _iterator(self, shard: str) -> str:
        return self.client.get_shard_iterator(StreamArn=self.mapping.event_source_arn, ShardId=shard,
                                              ShardIteratorType=self.mapping.starting_position)["ShardIterator"]

    def _get_records(self, iterator: str) -> dict:
        return self.client.get_records(ShardIterator=iterator, Limit=self.mapping.batch_size)

    def _record(self, shard: str, raw: dict) -> dict:
        change = as_event_json(raw["dynamodb"])  # with SizeBytes and StreamViewType, as the stream gives them
        change["ApproximateCreationDateTime"] = int(change["ApproximateCreationDateTime"].timestamp())
        return {"eventID": raw["eventID"], "eventName": raw["eventName"], "eventVersion": "1.1",
                "eventSource": "aws:dynamodb", "awsRegion": REGION, "dynamodb": change,
                "eventSourceARN": self.mapping.event_source_arn}

    def _sequence(self, record: dict) -> str:
        return record["dynamodb"]["SequenceNumber"]

    def _arrival(self, record: dict) -> float:
        return record["dynamodb"]["ApproximateCreationDateTime"]
