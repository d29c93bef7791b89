"""Errors lambdanb raises to its caller: Lambda API errors with Lambda's codes and messages, in one sentence."""
from __future__ import annotations


class LambdaNBError(Exception):
    """Base of every error lambdanb raises; its text is one sentence meant for a student."""


class LambdaAPIError(LambdaNBError):
    """An error the Lambda API itself would return, worded as boto3 shows it."""

    code = "ServiceException"
    status_code = 500

    def __init__(self, message: str, operation: str = "Invoke") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation

    def __str__(self) -> str:
        return f"An error occurred ({self.code}) when calling the {self.operation} operation: {self.message}"


class ValidationException(LambdaAPIError):
    code, status_code = "ValidationException", 400


class InvalidParameterValueException(LambdaAPIError):
    code, status_code = "InvalidParameterValueException", 400


class ResourceNotFoundException(LambdaAPIError):
    code, status_code = "ResourceNotFoundException", 404


class ProvisionedConcurrencyConfigNotFoundException(LambdaAPIError):
    code, status_code = "ProvisionedConcurrencyConfigNotFoundException", 404


class ResourceConflictException(LambdaAPIError):
    code, status_code = "ResourceConflictException", 409


class RequestTooLargeException(LambdaAPIError):
    code, status_code = "RequestTooLargeException", 413


class InvalidRequestContentException(LambdaAPIError):
    code, status_code = "InvalidRequestContentException", 400


class TooManyRequestsException(LambdaAPIError):
    """A throttle: the function (reserved) or the account has no concurrency left."""

    code, status_code = "TooManyRequestsException", 429

    def __init__(self, reason: str, operation: str = "Invoke") -> None:
        super().__init__("Rate Exceeded.", operation)
        self.reason = reason

    def __str__(self) -> str:
        return f"{super().__str__()} (Reason: {self.reason})"


class AccessDeniedException(LambdaAPIError):
    code, status_code = "AccessDeniedException", 403
