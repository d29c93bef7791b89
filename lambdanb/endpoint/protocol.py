"""The REST-JSON protocol of the Lambda API as botocore's service model describes it: each operation's route,
how a request's path, query, headers and body become the operation's input, and the replies."""
from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.model import OperationModel, Shape

from ..errors import InvalidRequestContentException, ValidationException

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

Reply = tuple[int, dict[str, str], bytes]  # status, headers, body
Handler = Callable[["LambdaService", dict[str, Any]], "dict[str, Any] | Reply | None"]
MODEL = botocore.session.get_session().get_service_model("lambda")
SERVED: dict[str, Handler] = {}  # operation name → the function that serves it


def serves(operation: str) -> Callable[[Handler], Handler]:
    """Register the function that serves one of the model's operations."""
    def register(handler: Handler) -> Handler:
        assert operation in MODEL.operation_names, operation
        SERVED[operation] = handler
        return handler
    return register


@dataclass(frozen=True)
class Route:
    """One operation's method and path (a pattern from its requestUri), and the query it requires, if any."""

    operation: OperationModel
    method: str
    pattern: re.Pattern[str]
    query: dict[str, str]

    @classmethod
    def of(cls, operation: OperationModel) -> Route:
        path, _, query = operation.http["requestUri"].partition("?")
        regex = re.sub(r"\\{(\w+)(\\\+)?\\}", lambda m: f"(?P<{m[1]}>{'.+' if m[2] else '[^/]+'})",
                       re.escape(path.rstrip("/")))
        return cls(operation, operation.http["method"], re.compile(regex + "/?"), dict(urllib.parse.parse_qsl(query)))

    def match(self, method: str, path: str, query: dict[str, list[str]]) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path) if method == self.method else None
        if found is None or any(query.get(key) != [value] for key, value in self.query.items()):
            return None
        return {key: urllib.parse.unquote(value) for key, value in found.groupdict().items()}


# Routes that require a query (?find=LayerVersion) are tried before the plain route with the same path.
ROUTES = sorted((Route.of(MODEL.operation_model(name)) for name in MODEL.operation_names),
                key=lambda route: -len(route.query))


def find(method: str, path: str, query: dict[str, list[str]]) -> tuple[OperationModel, dict[str, str]] | None:
    for route in ROUTES:
        found = route.match(method, path, query)
        if found is not None:
            return route.operation, found
    return None


def request_input(operation: OperationModel, uri: dict[str, str], query: dict[str, list[str]], headers: Message,
                  body: bytes) -> dict[str, Any]:
    """The operation's input, by the model's member names, from every part of the HTTP request."""
    shape = operation.input_shape
    if shape is None:
        return {}
    request: dict[str, Any] = {}
    payload = shape.serialization.get("payload")
    if payload:
        request[payload] = body
    elif body:
        try:
            document = json.loads(body)
        except ValueError:
            raise InvalidRequestContentException("Could not parse request body into json: Could not parse payload "
                                                 "into json", operation.name) from None
        request.update(_decode(shape, document))
    for member, member_shape in shape.members.items():
        location, name = member_shape.serialization.get("location"), member_shape.serialization.get("name", member)
        if location == "uri" and name in uri:
            request[member] = uri[name]
        elif location == "querystring" and name in query:
            values = query[name]
            request[member] = values if member_shape.type_name == "list" else _scalar(member_shape, values[0])
        elif location == "header" and headers.get(name) is not None:
            request[member] = headers[name]
    missing = [m for m in shape.required_members if request.get(m) is None]
    if missing:
        raise ValidationException(f"1 validation error detected: Value null at '{missing[0][:1].lower()}"
                                  f"{missing[0][1:]}' failed to satisfy constraint: Member must not be null",
                                  operation.name)
    return request


def _scalar(shape: Shape, text: str) -> Any:
    if shape.type_name in ("integer", "long"):
        return int(text)
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def _decode(shape: Shape, value: Any) -> Any:
    """A JSON body's value with its blobs (base64 in JSON) decoded to bytes."""
    if shape.type_name == "blob" and isinstance(value, str):
        return base64.b64decode(value)
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: _decode(members[k], v) if k in members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_decode(shape.member, v) for v in value]
    return value


def json_reply(status: int, document: dict[str, Any] | None) -> Reply:
    if document is None:
        return status, {}, b""
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()


def error_reply(status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> Reply:
    body = {"Type": "User", "message": message, **(extra or {})}
    return status, {"x-amzn-ErrorType": code, "Content-Type": "application/json"}, json.dumps(body).encode()


def page(items: list[Any], marker: str | None, max_items: int | None, key: Callable[[Any], str],
         name: str) -> dict[str, Any]:
    """One page of a listing, AWS-style: Marker is where the page starts, NextMarker where the next one does."""
    start = 0
    if marker:
        keys = [key(item) for item in items]
        start = keys.index(marker) if marker in keys else len(items)
    size = max(1, min(max_items or 50, 10000))
    chunk = items[start:start + size]
    more = start + size < len(items)
    return {name: chunk, **({"NextMarker": key(items[start + size])} if more else {})}
