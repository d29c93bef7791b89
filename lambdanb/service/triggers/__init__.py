"""Triggers: other services pushing events to a function (today S3 bucket notifications), each as an async
invoke through the Frontend."""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ...errors import LambdaNBError
from ..event_sources.polling import wait_until_idle
from ..functions import FunctionRegistry
from .s3 import S3Forwarder, S3Trigger, configure_bucket

if TYPE_CHECKING:
    from ..frontend import Frontend


class Triggers:
    """The triggers of the service's functions; each function's record lists its own."""

    def __init__(self, frontend: Frontend, functions: FunctionRegistry) -> None:
        self.frontend = frontend
        self.functions = functions
        self._forwarders: dict[str, S3Forwarder] = {}
        self._lock = threading.Lock()

    def add_s3_trigger(self, function_name: str, bucket: str, events: list[str], prefix: str,
                       suffix: str) -> dict[str, Any]:
        function = self.functions.get(function_name, "PutBucketNotificationConfiguration")
        try:
            queue_arn = configure_bucket(bucket, function_name, events, prefix, suffix)
        except Exception as error:
            raise LambdaNBError(f"The bucket {bucket} cannot notify {function_name}: {error}") from None
        trigger = S3Trigger(function_name, bucket, list(events), prefix, suffix, queue_arn)
        forwarder = S3Forwarder(trigger, self.frontend)
        with self._lock:
            self._forwarders[trigger.uuid] = forwarder
            function.triggers.append(trigger)
        forwarder.start()
        return trigger.describe()

    def function_deleted(self, function_name: str) -> None:
        with self._lock:
            gone = [key for key, f in self._forwarders.items() if f.trigger.function_name == function_name]
            forwarders = [self._forwarders.pop(key) for key in gone]
        for forwarder in forwarders:
            forwarder.stop()

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._lock:
            forwarders = list(self._forwarders.values())
        return wait_until_idle(forwarders, timeout)

    def close(self) -> None:
        with self._lock:
            forwarders, self._forwarders = list(self._forwarders.values()), {}
        for forwarder in forwarders:
            forwarder.stop()
