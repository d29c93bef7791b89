"""The Frontend: the one entry point of every invoke; it validates the request and routes it by invocation type."""
from __future__ import annotations

import json
import re
from typing import Any

from ..errors import InvalidParameterValueException, InvalidRequestContentException, LambdaNBError, \
    RequestTooLargeException, ResourceNotFoundException
from ..ids import IdSource
from ..records import Invocation
from .functions import FunctionRegistry, function_arn
from .async_queue import AsyncQueues
from .invoker import Invoker

MAX_SYNC_PAYLOAD_BYTES = 6_291_456
MAX_ASYNC_PAYLOAD_BYTES = 1_048_576
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
_ARN = re.compile(r"(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?"
                  r"(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>[a-zA-Z0-9-_$]+))?")


def encode_event(event: Any) -> bytes:
    """The request payload: bytes are sent as they are (and must be JSON), anything else is encoded as JSON."""
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


class Frontend:
    """Validates and routes: RequestResponse to an environment now, Event into the function's internal queue,
    DryRun checked only."""

    def __init__(self, functions: FunctionRegistry, invoker: Invoker, queues: AsyncQueues, ids: IdSource) -> None:
        self.functions = functions
        self.invoker = invoker
        self.queues = queues
        self.ids = ids

    def invoke(self, function_name: str, event: Any = None, *, invocation_type: str = "RequestResponse",
               qualifier: str | None = None, client_context: dict | None = None) -> Invocation:
        name, qualifier = self._resolve(function_name, qualifier)
        if invocation_type not in INVOCATION_TYPES:
            raise InvalidParameterValueException(
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
        config = self.functions.resolve(name, qualifier)
        payload = encode_event(event)
        limit = MAX_ASYNC_PAYLOAD_BYTES if invocation_type == "Event" else MAX_SYNC_PAYLOAD_BYTES
        if len(payload) > limit:
            raise RequestTooLargeException(f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
        request_id = self.ids.request_id(name)
        if invocation_type == "DryRun":
            return _accepted(request_id, 204, name)
        if invocation_type == "Event":
            self.queues.put(name, payload, request_id)
            return _accepted(request_id, 202, name)
        return self.invoker.run(config, payload, request_id, function_arn(name, qualifier), client_context)

    @staticmethod
    def _resolve(function_name: str, qualifier: str | None) -> tuple[str, str | None]:
        """A function is named by its name, its ARN or a partial ARN, optionally with :qualifier."""
        match = _ARN.fullmatch(function_name or "")
        if match is None:
            raise ResourceNotFoundException(f"Function not found: {function_arn(function_name, '$LATEST')}")
        if match["qualifier"] and qualifier and match["qualifier"] != qualifier:
            raise InvalidParameterValueException("The derived qualifier from the function name does not match "
                                                 "the specified qualifier.")
        return match["name"], qualifier or match["qualifier"]


def _accepted(request_id: str, status_code: int, name: str) -> Invocation:
    return Invocation(request_id=request_id, status_code=status_code, payload=None, function_error=None, logs="",
                      duration_ms=None, billed_duration_ms=None, memory_size_mb=None, max_memory_used_mb=None,
                      init_duration_ms=None, executed_version=None, function_name=name)
