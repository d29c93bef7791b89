"""FilterCriteria: which records of a mapping reach its function, with EventBridge's pattern syntax (moto's matcher)."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ...errors import InvalidParameterValueException

if TYPE_CHECKING:
    from moto.events.models import EventPattern

MAX_FILTERS = 5


@dataclass(frozen=True)
class FilterCriteria:
    """The patterns of a mapping: a record reaches the function when any one of them matches it."""

    patterns: tuple[str, ...]
    matchers: tuple[EventPattern, ...]

    def describe(self) -> dict[str, Any]:
        return {"Filters": [{"Pattern": pattern} for pattern in self.patterns]}

    def matches(self, kind: str, record: dict[str, Any]) -> bool:
        view = filtered_view(kind, record)
        return any(matcher.matches_event(cast(Any, view)) for matcher in self.matchers)


def parse_filter_criteria(criteria: dict[str, Any] | None, operation: str) -> FilterCriteria | None:
    """FilterCriteria as the Lambda API gives it ({"Filters": [{"Pattern": "<json>"}]}); None when there are none."""
    filters = (criteria or {}).get("Filters") or []
    if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
        raise InvalidParameterValueException(
            f"FilterCriteria takes a list of at most {MAX_FILTERS} Filters, each {{\"Pattern\": \"<json>\"}}.",
            operation)
    from moto.events.models import EventPattern  # here, not above: importing moto takes a quarter of a second
    patterns: list[str] = []
    matchers: list[EventPattern] = []
    for entry in filters:
        pattern = entry.get("Pattern") if isinstance(entry, dict) else None
        try:
            if not isinstance(pattern, str):
                raise TypeError(pattern)
            matcher = EventPattern.load(pattern)
            if not isinstance(matcher.get_pattern(), dict):
                raise TypeError(pattern)
        except Exception:  # moto's parser raises its own error, or a TypeError on JSON that is not an object
            raise InvalidParameterValueException(f"Invalid filter pattern definition: {pattern!r}.",
                                                 operation) from None
        patterns.append(pattern)
        matchers.append(matcher)
    return FilterCriteria(tuple(patterns), tuple(matchers)) if patterns else None


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def filtered_view(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """What a pattern is matched against: SQS records with a JSON body parsed, Kinesis records as their `data`
    (base64-decoded, parsed when JSON), DynamoDB stream records as they are."""
    if kind == "sqs":
        return {**record, "body": _json_or_text(record["body"])}
    if kind == "kinesis":
        try:
            data = base64.b64decode(record["kinesis"]["data"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return {"data": record["kinesis"]["data"]}
        return {"data": _json_or_text(data)}
    return record
