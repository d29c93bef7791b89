"""Event source mappings: the mappings of the service, each read by its pollers (SQS, Kinesis, DynamoDB Streams)."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ...arns import function_reference
from ...clock import Clock
from ...errors import LambdaNBError, ResourceNotFoundException
from ..functions import FunctionRegistry
from ..metrics import MetricStore
from .filters import parse_filter_criteria
from .mappings import EventSourceMapping, check_record_age, new_mapping
from .polling import MappingPoller, wait_until_idle
from .sqs import SQSPoller
from .streams import DynamoDBStreamPoller, KinesisPoller

if TYPE_CHECKING:
    from ..frontend import Frontend

SQS_POLLERS = 5
POLLERS: dict[str, type[MappingPoller]] = {"sqs": SQSPoller, "kinesis": KinesisPoller,
                                           "dynamodb": DynamoDBStreamPoller}


class EventSources:
    """CreateEventSourceMapping and friends; every poller invokes through the Frontend."""

    def __init__(self, frontend: Frontend, functions: FunctionRegistry, metrics: MetricStore, clock: Clock) -> None:
        self.frontend = frontend
        self.functions = functions
        self.metrics = metrics
        self.clock = clock
        self._pollers: dict[str, list[MappingPoller]] = {}  # a mapping's pollers, by its UUID
        self._lock = threading.Lock()

    def create(self, function_name: str, event_source_arn: str, **settings: Any) -> dict[str, Any]:
        """A mapping for a function named by name or ARN, perhaps with a version or alias (name:prod)."""
        operation = "CreateEventSourceMapping"
        name, qualifier = function_reference(function_name, operation=operation)
        self.functions.resolve(name, qualifier, operation)
        mapping = new_mapping(name, qualifier, event_source_arn, **settings)
        # Lambda reads a queue with five batches at once; a stream shard is read in order by one. Deterministic
        # mode keeps one, so that a lab's batches are the same on every run.
        count = SQS_POLLERS if mapping.kind == "sqs" and not self.clock.deterministic else 1
        pollers = [POLLERS[mapping.kind](mapping, self.frontend, self.metrics, self.clock) for _ in range(count)]
        try:
            pollers[0].check_source()
        except Exception as error:
            raise LambdaNBError(f"The event source {event_source_arn} cannot be read: {error}") from None
        with self._lock:
            self._pollers[mapping.uuid] = pollers
        for poller in pollers:
            poller.start()
        return mapping.describe()

    def _mapping(self, uuid: str, operation: str) -> EventSourceMapping:
        with self._lock:
            pollers = self._pollers.get(uuid)
        if pollers is None:
            raise ResourceNotFoundException(f"The resource you requested does not exist. (UUID {uuid})", operation)
        return pollers[0].mapping

    def get(self, uuid: str) -> dict[str, Any]:
        return self._mapping(uuid, "GetEventSourceMapping").describe()

    def update(self, uuid: str, *, enabled: bool | None = None, batch_size: int | None = None,
               filter_criteria: dict[str, Any] | None = None,
               maximum_record_age_in_seconds: int | None = None) -> dict[str, Any]:
        """UpdateEventSourceMapping; FilterCriteria {"Filters": []} removes the filters."""
        operation = "UpdateEventSourceMapping"
        mapping = self._mapping(uuid, operation)
        if batch_size is not None and not 1 <= batch_size <= 10000:
            raise LambdaNBError("BatchSize must be 1-10000.")
        if maximum_record_age_in_seconds is not None:
            check_record_age(maximum_record_age_in_seconds, operation)
            mapping.maximum_record_age_in_seconds = maximum_record_age_in_seconds
        if filter_criteria is not None:
            mapping.filters = parse_filter_criteria(filter_criteria, operation)
        if enabled is not None:
            mapping.enabled = enabled
        if batch_size is not None:
            mapping.batch_size = batch_size
        return mapping.describe()

    def delete(self, uuid: str) -> dict[str, Any]:
        mapping = self._mapping(uuid, "DeleteEventSourceMapping")
        with self._lock:
            pollers = self._pollers.pop(uuid)
        for poller in pollers:
            poller.stop()
        described = mapping.describe()
        described["State"] = "Deleting"
        return described

    def list(self, function_name: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            mappings = [pollers[0].mapping for pollers in self._pollers.values()]
        return [m.describe() for m in mappings if function_name is None or m.function_name == function_name]

    def function_deleted(self, function_name: str) -> None:
        """Lambda keeps a deleted function's mappings; lambdanb stops them, as nothing is left to invoke."""
        for described in self.list(function_name):
            self.delete(described["UUID"])

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every poller has read all there is; False on timeout."""
        with self._lock:
            pollers = [poller for group in self._pollers.values() for poller in group]
        return wait_until_idle(pollers, timeout)

    def close(self) -> None:
        with self._lock:
            groups, self._pollers = list(self._pollers.values()), {}
        for group in groups:
            for poller in group:
                poller.stop()
