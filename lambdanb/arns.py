"""ARNs of the local account: the account id and region, building a function's ARN and reading any ARN."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidParameterValueException, ResourceNotFoundException

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

# A function is named by its name, its ARN or a partial ARN (123456789012:function:name), with :qualifier.
_FUNCTION_REFERENCE = re.compile(
    r"(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?"
    r"(?P<name>[a-zA-Z0-9-_]+)(?::(?P<qualifier>[a-zA-Z0-9-_$]+))?")


def function_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


DEFAULT_ROLE = role_arn("lambdanb-default")  # what a function created without a role shows as its Role


def function_reference(reference: str, qualifier: str | None = None,
                       operation: str = "Invoke") -> tuple[str, str | None]:
    """(name, qualifier) of a function named by name or ARN, optionally with :qualifier, as the Lambda API takes it."""
    match = _FUNCTION_REFERENCE.fullmatch(reference or "")
    if match is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn(reference, '$LATEST')}", operation)
    if match["qualifier"] and qualifier and match["qualifier"] != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier.", operation)
    return match["name"], qualifier or match["qualifier"]


@dataclass(frozen=True)
class Arn:
    """arn:partition:service:region:account:resource, split into its parts."""

    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, arn: str) -> Arn | None:
        parts = (arn or "").split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            return None
        return cls(parts[2], parts[3], parts[4], parts[5])

    @property
    def name(self) -> str:
        """The resource's own name: a queue, a stream (table/T/stream/label for DynamoDB), a role, a function."""
        if self.service == "kinesis":
            return self.resource.split("/", 1)[-1]
        if self.service == "lambda":
            return self.resource.split(":")[1] if ":" in self.resource else self.resource
        return self.resource.rsplit("/", 1)[-1] if self.service == "iam" else self.resource


def service_of(arn: str) -> str:
    """The service an ARN belongs to ("sqs", "kinesis", "dynamodb", "lambda", ...), or "" if it is no ARN."""
    parsed = Arn.parse(arn)
    return parsed.service if parsed else ""


def name_of(arn: str) -> str:
    """The resource name in an ARN (a queue's or stream's name, a role's name); a plain name stays as it is."""
    parsed = Arn.parse(arn)
    return parsed.name if parsed else arn.rsplit("/", 1)[-1]
