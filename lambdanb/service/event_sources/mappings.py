"""Event source mappings as records: CreateEventSourceMapping's configuration, Lambda's rules for it, and how
GetEventSourceMapping describes it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ...arns import function_arn, service_of
from ...errors import InvalidParameterValueException
from .filters import FilterCriteria, parse_filter_criteria

DEFAULT_BATCH = {"sqs": 10, "kinesis": 100, "dynamodb": 100}
KINDS = tuple(DEFAULT_BATCH)


@dataclass
class EventSourceMapping:
    """CreateEventSourceMapping's configuration and state, with the Lambda API's field names."""

    function_name: str
    event_source_arn: str
    batch_size: int
    qualifier: str | None = None  # the version or alias the mapping invokes ($LATEST when None)
    maximum_batching_window_in_seconds: int = 0
    function_response_types: list[str] = field(default_factory=list)
    bisect_batch_on_function_error: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age_in_seconds: int = -1  # streams: older records are skipped (-1: kept until they expire)
    starting_position: str | None = None
    on_failure: str | None = None
    enabled: bool = True
    filters: FilterCriteria | None = None
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    last_processing_result: str = "No records processed"

    @property
    def kind(self) -> str:
        """sqs, kinesis or dynamodb."""
        return service_of(self.event_source_arn)

    @property
    def state(self) -> str:
        return "Enabled" if self.enabled else "Disabled"

    @property
    def reports_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "UUID": self.uuid, "EventSourceArn": self.event_source_arn,
            "FunctionArn": function_arn(self.function_name, self.qualifier), "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.maximum_batching_window_in_seconds,
            "FunctionResponseTypes": list(self.function_response_types), "State": self.state,
            "LastProcessingResult": self.last_processing_result}
        if self.filters is not None:
            described["FilterCriteria"] = self.filters.describe()
        if self.kind != "sqs":
            described.update(StartingPosition=self.starting_position,
                             BisectBatchOnFunctionError=self.bisect_batch_on_function_error,
                             MaximumRetryAttempts=self.maximum_retry_attempts,
                             MaximumRecordAgeInSeconds=self.maximum_record_age_in_seconds,
                             DestinationConfig={"OnFailure": {"Destination": self.on_failure}}
                             if self.on_failure else {})
        return described


def new_mapping(function_name: str, qualifier: str | None, event_source_arn: str, *, batch_size: int | None = None,
                maximum_batching_window_in_seconds: int = 0, function_response_types: list[str] | tuple[str, ...] = (),
                bisect_batch_on_function_error: bool = False, maximum_retry_attempts: int = -1,
                starting_position: str | None = None, destination_config: dict[str, Any] | None = None,
                enabled: bool = True, filter_criteria: dict[str, Any] | None = None,
                maximum_record_age_in_seconds: int = -1) -> EventSourceMapping:
    """A mapping, refused with Lambda's words where CreateEventSourceMapping would refuse it."""
    operation = "CreateEventSourceMapping"
    kind = service_of(event_source_arn)
    if kind not in KINDS:
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
    check_record_age(maximum_record_age_in_seconds, operation)
    on_failure = ((destination_config or {}).get("OnFailure") or {}).get("Destination")
    return EventSourceMapping(function_name, event_source_arn, batch_size, qualifier,
                              maximum_batching_window_in_seconds, list(function_response_types),
                              bisect_batch_on_function_error, maximum_retry_attempts, maximum_record_age_in_seconds,
                              starting_position, on_failure, enabled, parse_filter_criteria(filter_criteria, operation))


def check_record_age(seconds: int, operation: str) -> None:
    """MaximumRecordAgeInSeconds is -1 (records are kept until the stream lets them expire) or 60 s to 7 days."""
    if seconds != -1 and not 60 <= seconds <= 604_800:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{seconds}' at 'maximumRecordAgeInSeconds' failed to satisfy "
            "constraint: Member must be -1, or between 60 and 604800", operation)
