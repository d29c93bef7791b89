"""Where records go after an invocation: destinations (a function, invoked asynchronously through the Frontend,
or an SQS queue) and dead-letter queues."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .. import aws
from ..arns import service_of
from ..errors import InvalidParameterValueException

if TYPE_CHECKING:
    from .frontend import Frontend


def check_destination(arn: str, operation: str) -> None:
    if service_of(arn) not in ("lambda", "sqs"):
        raise InvalidParameterValueException(
            f"The destination ARN {arn} is invalid: lambdanb delivers to a function or an SQS queue.", operation)


def send_record(frontend: Frontend, destination: str, record: dict[str, Any]) -> None:
    """Send an invocation record to a destination: another function (async) or an SQS queue."""
    if service_of(destination) == "lambda":
        frontend.invoke(destination, record, invocation_type="Event", source="destination")
    else:
        aws.send_to_queue(destination, json.dumps(record))


def send_to_dead_letter_queue(queue_arn: str, payload: bytes, attributes: dict[str, Any]) -> None:
    aws.send_to_queue(queue_arn, payload.decode(), attributes)
