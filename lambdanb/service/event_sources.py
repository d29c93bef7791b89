"""Event source mappings: pollers that read SQS queues, Kinesis streams and DynamoDB streams in the local AWS
and invoke a function synchronously with batches of records, as Lambda's pollers do."""
from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable

from .. import aws
from ..errors import InvalidParameterValueException, LambdaNBError, ResourceNotFoundException, \
    TooManyRequestsException
from ..records import Invocation
from .functions import function_arn
from .logs import iso_time
from .metrics import MetricStore

DEFAULT_BATCH = {"sqs": 10, "kinesis": 100, "dynamodb": 100}
MAX_BATCH_BYTES = 6 * 1024 * 1024


@dataclass
class EventSourceMapping:
    """CreateEventSourceMapping's configuration and state, with the Lambda API's field names."""

    function_name: str
    event_source_arn: str
    batch_size: int
    maximum_batching_window_in_seconds: int = 0
    function_response_types: list[str] = field(default_factory=list)
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1
    starting_position: str | None = None
    on_failure: str | None = None
    enabled: bool = True
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_processing_result: str = "No records processed"

    @property
    def kind(self) -> str:
        return self.event_source_arn.split(":")[2]

    @property
    def state(self) -> str:
        return "Enabled" if self.enabled else "Disabled"

    def describe(self) -> dict:
        described = {"UUID": self.uuid, "EventSourceArn": self.event_source_arn,
                     "FunctionArn": function_arn(self.function_name), "BatchSize": self.batch_size,
                     "MaximumBatchingWindowInSeconds": self.maximum_batching_window_in_seconds,
                     "FunctionResponseTypes": list(self.function_response_types), "State": self.state,
                     "LastProcessingResult": self.last_processing_result}
        if self.kind != "sqs":
            described.update(StartingPosition=self.starting_position,
                             BisectBatchOnFunctionError=self.bisect_batch_on_function_error,
                             MaximumRetryAttempts=self.maximum_retry_attempts,
                             DestinationConfig={"OnFailure": {"Destination": self.on_failure}}
                             if self.on_failure else {})
        return described

    @property
    def reports_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types


Invoke = Callable[[str, bytes], Invocation]  # (function name, payload) -> Invocation; raises when throttled


class Poller(ABC):
    """One mapping's polling thread; `idle` is true while its source has nothing left for it."""

    def __init__(self, mapping: EventSourceMapping, invoke: Invoke, metrics: MetricStore,
                 deliver: Callable[[str, dict], None]) -> None:
        self.mapping = mapping
        self.invoke = invoke
        self.metrics = metrics
        self.deliver = deliver
        self.idle = False
        self.polls = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"lambdanb-poller-{mapping.uuid[:8]}")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        while not self.stopped.is_set():
            if not self.mapping.enabled:
                self.idle = True
                self.stopped.wait(0.1)
                continue
            try:
                worked = self.poll_once()
            except Exception as error:  # the source went away, or the local AWS stopped: report, go on
                self.mapping.last_processing_result = f"PROBLEM: {error}"
                worked = False
            self.polls += 1
            if not worked:
                self.stopped.wait(0.05)

    @abstractmethod
    def poll_once(self) -> bool:
        """Read and process one batch; False when there was nothing to read."""

    def call(self, records: list[dict]) -> Invocation | None:
        """Invoke the function with one batch; None when throttled (the records are tried again later)."""
        try:
            invocation = self.invoke(self.mapping.function_name, json.dumps({"Records": records}).encode())
        except TooManyRequestsException:
            return None
        self.mapping.last_processing_result = "OK" if invocation.function_error is None else "PROBLEM: Function call failed"
        return invocation

    def failed_items(self, invocation: Invocation, identifiers: list[str]) -> list[str] | None:
        """Partial batch response: the identifiers that failed, or None when the whole batch counts as failed."""
        if invocation.function_error is not None:
            return None
        if not self.mapping.reports_item_failures or invocation.payload in (None, {}, ""):
            return []
        if not isinstance(invocation.payload, dict):
            return None
        failures = invocation.payload.get("batchItemFailures")
        if failures in (None, []):
            return []
        if not isinstance(failures, list):
            return None
        found = []
        for failure in failures:
            item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not item or item not in identifiers:
                return None
            found.append(item)
        return found


class SQSPoller(Poller):
    """Long-polls the queue; deletes what succeeded; failures come back after the visibility timeout."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.sqs = aws.client("sqs")
        self.url = self.sqs.get_queue_url(QueueName=self.mapping.event_source_arn.rsplit(":", 1)[-1])["QueueUrl"]

    def poll_once(self) -> bool:
        messages = self._batch()
        if not messages:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages",
                                                   "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            self.idle = all(value == "0" for value in attributes.values())
            return False
        self.idle = False
        records = [self._record(message) for message in messages]
        invocation = self.call(records)
        if invocation is None:
            return True
        failed = self.failed_items(invocation, [m["MessageId"] for m in messages])
        if failed is None:
            return True  # the whole batch becomes visible again after the visibility timeout
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])])
        return True

    def _batch(self) -> list[dict]:
        """Up to BatchSize messages, waiting up to the batching window for more."""
        mapping = self.mapping
        window_ends = time.monotonic() + mapping.maximum_batching_window_in_seconds
        messages: list[dict] = []
        size = 0
        while len(messages) < mapping.batch_size and size < MAX_BATCH_BYTES and not self.stopped.is_set():
            wait = 1 if not messages else max(0, min(1, round(window_ends - time.monotonic())))
            received = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=min(10, mapping.batch_size - len(messages)),
                WaitTimeSeconds=wait, AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
            messages += received
            size += sum(len(m["Body"]) for m in received)
            if not received and (not messages or time.monotonic() >= window_ends):
                break
            if messages and time.monotonic() >= window_ends:
                break
        return messages

    def _record(self, message: dict) -> dict:
        record = {
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {name: {"stringValue": value.get("StringValue"), "stringListValues": [],
                                         "binaryListValues": [], "dataType": value["DataType"]}
                                  for name, value in message.get("MessageAttributes", {}).items()},
            "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
            "eventSourceARN": self.mapping.event_source_arn, "awsRegion": aws.REGION}
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        return record


class StreamPoller(Poller):
    """Reads each shard in order, one batch at a time; a failed batch is retried (or bisected) before the shard
    moves on; with ReportBatchItemFailures the shard checkpoints at the lowest failed sequence number."""

    kind = ""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.iterators: dict[str, str] = {}

    def poll_once(self) -> bool:
        if not self.iterators:
            self.iterators = {shard: self._iterator(shard) for shard in self._shards()}
        worked = False
        for shard, iterator in list(self.iterators.items()):
            response = self._get_records(iterator)
            records = response["Records"]
            if records:
                worked = True
                self._process(shard, [self._record(shard, r) for r in records])
            self.iterators[shard] = response.get("NextShardIterator") or iterator
        self.idle = not worked
        return worked

    def _process(self, shard: str, records: list[dict]) -> None:
        pending = [records]
        while pending and not self.stopped.is_set():
            batch = pending.pop(0)
            attempts = 0
            while True:
                invocation = self.call(batch)
                if invocation is None:
                    self.stopped.wait(0.1)
                    continue
                attempts += 1
                self.metrics.put(self.mapping.function_name, "IteratorAge",
                                 (time.time() - self._arrival(batch[-1])) * 1000, time.time())
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
                    self._give_up(shard, batch, invocation, attempts)
                    break

    def _give_up(self, shard: str, batch: list[dict], invocation: Invocation, attempts: int) -> None:
        if not self.mapping.on_failure:
            return
        info_key = "KinesisBatchInfo" if self.kind == "kinesis" else "DDBStreamBatchInfo"
        record = {
            "requestContext": {"requestId": invocation.request_id,
                               "functionArn": function_arn(self.mapping.function_name),
                               "condition": "RetryAttemptsExhausted", "approximateInvokeCount": attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                "functionError": invocation.function_error or "Unhandled"},
            "version": "1.0",
            "timestamp": iso_time(),
            info_key: {"shardId": shard, "startSequenceNumber": self._sequence(batch[0]),
                       "endSequenceNumber": self._sequence(batch[-1]),
                       "approximateArrivalOfFirstRecord": iso_time(self._arrival(batch[0])),
                       "approximateArrivalOfLastRecord": iso_time(self._arrival(batch[-1])),
                       "batchSize": len(batch), "streamArn": self.mapping.event_source_arn}}
        try:
            self.deliver(self.mapping.on_failure, record)
        except Exception:
            self.metrics.put(self.mapping.function_name, "DestinationDeliveryFailures", 1, time.time())

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

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.client = aws.client("kinesis")
        self.stream = self.mapping.event_source_arn.split("/", 1)[1]

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
                "invokeIdentityArn": f"arn:aws:iam::{aws.ACCOUNT_ID}:role/lambdanb", "awsRegion": aws.REGION,
                "eventSourceARN": self.mapping.event_source_arn}

    def _sequence(self, record: dict) -> str:
        return record["kinesis"]["sequenceNumber"]

    def _arrival(self, record: dict) -> float:
        return record["kinesis"]["approximateArrivalTimestamp"]


class DynamoDBStreamPoller(StreamPoller):
    kind = "dynamodb"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.client = aws.client("dynamodbstreams")

    def _shards(self) -> list[str]:
        description = self.client.describe_stream(StreamArn=self.mapping.event_source_arn)["StreamDescription"]
        return [s["ShardId"] for s in description["Shards"]]

    def _iterator(self, shard: str) -> str:
        return self.client.get_shard_iterator(StreamArn=self.mapping.event_source_arn, ShardId=shard,
                                              ShardIteratorType=self.mapping.starting_position)["ShardIterator"]

    def _get_records(self, iterator: str) -> dict:
        return self.client.get_records(ShardIterator=iterator, Limit=self.mapping.batch_size)

    def _record(self, shard: str, raw: dict) -> dict:
        change = dict(raw["dynamodb"])
        change["ApproximateCreationDateTime"] = change["ApproximateCreationDateTime"].timestamp()
        return {"eventID": raw["eventID"], "eventName": raw["eventName"], "eventVersion": raw["eventVersion"],
                "eventSource": "aws:dynamodb", "awsRegion": aws.REGION, "dynamodb": change,
                "eventSourceARN": self.mapping.event_source_arn}

    def _sequence(self, record: dict) -> str:
        return record["dynamodb"]["SequenceNumber"]

    def _arrival(self, record: dict) -> float:
        return record["dynamodb"]["ApproximateCreationDateTime"]


POLLERS = {"sqs": SQSPoller, "kinesis": KinesisPoller, "dynamodb": DynamoDBStreamPoller}


class EventSources:
    """The event source mappings of the service, each with its poller."""

    def __init__(self, invoke: Invoke, metrics: MetricStore, deliver: Callable[[str, dict], None],
                 function_exists: Callable[[str], bool]) -> None:
        self.invoke = invoke
        self.metrics = metrics
        self.deliver = deliver
        self.function_exists = function_exists
        self._pollers: dict[str, Poller] = {}
        self._lock = threading.Lock()

    def create(self, function_name: str, event_source_arn: str, *, batch_size: int | None = None,
               maximum_batching_window_in_seconds: int = 0, function_response_types: list[str] = (),
               bisect_batch_on_function_error: bool = False, maximum_retry_attempts: int = -1,
               starting_position: str | None = None, destination_config: dict | None = None,
               enabled: bool = True) -> dict:
        operation = "CreateEventSourceMapping"
        if not self.function_exists(function_name):
            raise ResourceNotFoundException(f"Function not found: {function_arn(function_name)}", operation)
        kind = event_source_arn.split(":")[2] if event_source_arn.count(":") >= 5 else ""
        if kind not in POLLERS:
            raise InvalidParameterValueException(
                f"Unsupported event source {event_source_arn}: lambdanb polls SQS queues, Kinesis streams and "
                "DynamoDB streams.", operation)
        batch_size = batch_size or DEFAULT_BATCH[kind]
        if not 1 <= batch_size <= 10000 or not 0 <= maximum_batching_window_in_seconds <= 300:
            raise InvalidParameterValueException(
                "BatchSize must be 1-10000 and MaximumBatchingWindowInSeconds 0-300.", operation)
        if kind == "sqs" and batch_size > 10 and maximum_batching_window_in_seconds < 1:
            raise InvalidParameterValueException(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
                operation)
        if kind != "sqs" and starting_position not in ("TRIM_HORIZON", "LATEST"):
            raise InvalidParameterValueException("StartingPosition must be TRIM_HORIZON or LATEST for a stream.",
                                                 operation)
        mapping = EventSourceMapping(
            function_name, event_source_arn, batch_size, maximum_batching_window_in_seconds,
            list(function_response_types), bisect_batch_on_function_error, maximum_retry_attempts,
            starting_position, ((destination_config or {}).get("OnFailure") or {}).get("Destination"), enabled)
        try:
            poller = POLLERS[kind](mapping, self.invoke, self.metrics, self.deliver)
        except Exception as error:
            raise LambdaNBError(f"The event source {event_source_arn} cannot be read: {error}") from None
        with self._lock:
            self._pollers[mapping.uuid] = poller
        poller.start()
        return mapping.describe()

    def add_s3_trigger(self, function_name: str, bucket: str, invoke_async, events: list[str],
                       prefix: str, suffix: str) -> dict:
        from .s3_notifications import S3Forwarder, configure_bucket
        if not self.function_exists(function_name):
            raise ResourceNotFoundException(f"Function not found: {function_arn(function_name)}",
                                            "PutBucketNotificationConfiguration")
        try:
            queue_arn = configure_bucket(bucket, function_name, events, prefix, suffix)
        except Exception as error:
            raise LambdaNBError(f"The bucket {bucket} cannot notify {function_name}: {error}") from None
        mapping = EventSourceMapping(function_name, queue_arn, 10)
        poller = S3Forwarder(mapping, invoke_async, self.metrics, self.deliver)
        with self._lock:
            self._pollers[mapping.uuid] = poller
        poller.start()
        return {"Bucket": bucket, "FunctionArn": function_arn(function_name), "Events": list(events),
                "UUID": mapping.uuid}

    def _get(self, uuid_: str, operation: str) -> Poller:
        try:
            return self._pollers[uuid_]
        except KeyError:
            raise ResourceNotFoundException(f"The resource you requested does not exist. (UUID {uuid_})",
                                            operation) from None

    def update(self, uuid_: str, *, enabled: bool | None = None, batch_size: int | None = None) -> dict:
        mapping = self._get(uuid_, "UpdateEventSourceMapping").mapping
        if enabled is not None:
            mapping.enabled = enabled
        if batch_size is not None:
            mapping.batch_size = batch_size
        return mapping.describe()

    def delete(self, uuid_: str) -> dict:
        with self._lock:
            poller = self._get(uuid_, "DeleteEventSourceMapping")
            del self._pollers[uuid_]
        poller.stop()
        described = poller.mapping.describe()
        described["State"] = "Deleting"
        return described

    def list(self, function_name: str | None = None) -> list[dict]:
        with self._lock:
            pollers = list(self._pollers.values())
        return [p.mapping.describe() for p in pollers
                if function_name is None or p.mapping.function_name == function_name]

    def delete_for_function(self, function_name: str) -> None:
        for described in self.list(function_name):
            self.delete(described["UUID"])

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every enabled poller has looked twice more and found nothing; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            seen = {key: poller.polls for key, poller in self._pollers.items()}
        while True:
            with self._lock:
                pollers = [(p, seen.get(key, 0)) for key, p in self._pollers.items() if p.mapping.enabled]
            if all(p.idle and p.polls >= before + 2 for p, before in pollers):
                return True
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)

    def close(self) -> None:
        with self._lock:
            pollers, self._pollers = list(self._pollers.values()), {}
        for poller in pollers:
            poller.stop()
