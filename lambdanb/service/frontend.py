"""The Frontend: every invoke enters here, whoever asks; it makes the one invocation request, validates it and
routes it by invocation type."""
from __future__ import annotations

import json
from typing import Any

from ..arns import function_arn, function_reference
from ..clock import Clock
from ..errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaNBError,
    RequestTooLargeException,
)
from ..ids import IdSource
from ..records import Invocation, InvocationRequest, InvocationType
from .async_queue import AsyncQueues
from .functions import FunctionRegistry
from .invoker import Invoker
from .metrics import MetricStore
from .permissions import ServiceCaller, allows
from .settings import Settings

MAX_SYNC_PAYLOAD_BYTES = 6_291_456
MAX_ASYNC_PAYLOAD_BYTES = 1_048_576
NO_PAYLOAD: Any = object()  # invoke("fn") with no event: Lambda hands the handler {}


def encode_event(event: Any) -> bytes:
    """The request payload: bytes are sent as they are (and must be JSON), anything else is encoded as JSON."""
    if event is NO_PAYLOAD or event == b"":
        return b"{}"
    if isinstance(event, (bytes, bytearray)):
        try:
            json.loads(event)
        except ValueError as error:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: Could not parse payload into json: {error}") from None
        return bytes(event)
    try:
        return json.dumps(event).encode()
    except (TypeError, ValueError) as error:
        raise LambdaNBError(f"The event must be JSON data (dict, list, str, number, bool or None): {error}.") from None


_INVOCATION_TYPES = {kind.value: kind for kind in InvocationType}  # members hash as their values


def invocation_type_of(value: str | InvocationType) -> InvocationType:
    try:
        return _INVOCATION_TYPES[value]
    except (KeyError, TypeError):
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{value}' at 'invocationType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]") from None


class Frontend:
    """Validates and routes: RequestResponse to the Invoker now, Event into the function's internal queue (whose
    pollers hand the same request to the Invoker later), DryRun checked only."""

    def __init__(self, functions: FunctionRegistry, invoker: Invoker, ids: IdSource, settings: Settings,
                 metrics: MetricStore, clock: Clock) -> None:
        self.functions = functions
        self.invoker = invoker
        self.ids = ids
        self.queue = AsyncQueues(self, settings, metrics, clock)

    def invoke(self, function_name: str, event: Any = NO_PAYLOAD, *,
               invocation_type: str | InvocationType = InvocationType.REQUEST_RESPONSE,
               qualifier: str | None = None, client_context: dict[str, Any] | None = None,
               source: str = "api", caller: ServiceCaller | None = None) -> Invocation:
        """Invoke a function named by name or ARN; `source` says who asks (api, endpoint, event-source, s3, ...);
        a service principal's invoke (`caller`) goes through only where the function's resource policy allows it."""
        name, qualifier = function_reference(function_name, qualifier)
        kind = invocation_type_of(invocation_type)
        config = self.functions.resolve(name, qualifier)
        if caller is not None and not allows(self.functions.get(name, "Invoke").policy, caller, name, qualifier):
            raise AccessDeniedException(
                f"{caller.principal} is not authorized to perform: lambda:InvokeFunction on resource: "
                f"{function_arn(name, qualifier)} because no resource-based policy allows the "
                "lambda:InvokeFunction action")
        payload = encode_event(event)
        limit = MAX_ASYNC_PAYLOAD_BYTES if kind is InvocationType.EVENT else MAX_SYNC_PAYLOAD_BYTES
        if len(payload) > limit:
            raise RequestTooLargeException(
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
        request = InvocationRequest(name, qualifier, payload, self.ids.request_id(name), kind, source, client_context)
        if kind is InvocationType.DRY_RUN:
            return Invocation.accepted(request, 204)
        if kind is InvocationType.EVENT:
            self.queue.put(request)
            return Invocation.accepted(request, 202)
        return self.invoker.run(request, config)
