"""S3 triggers: a bucket's LambdaFunctionConfigurations, which the local AWS delivers as async invokes through the
Frontend with S3's event, as AWS does."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ... import aws
from ...arns import function_arn


@dataclass
class S3Trigger:
    """The console's "Add trigger → S3": which bucket events invoke which function."""

    function_name: str
    bucket: str
    events: list[str]
    prefix: str
    suffix: str
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def describe(self) -> dict[str, Any]:
        """As list_triggers shows it."""
        rules = "".join(f", {name} {value}" for name, value in (("prefix", self.prefix), ("suffix", self.suffix))
                        if value)
        return {"Type": "S3", "FunctionArn": function_arn(self.function_name), "Source": f"arn:aws:s3:::{self.bucket}",
                "Detail": ", ".join(self.events) + rules}

    def configure_bucket(self) -> None:
        """Add this trigger to the bucket's notification configuration, as the console does on AWS."""
        rules = [{"Name": name, "Value": value} for name, value in (("prefix", self.prefix), ("suffix", self.suffix))
                 if value]
        configuration: dict[str, Any] = {"Id": self.uuid, "LambdaFunctionArn": function_arn(self.function_name),
                                         "Events": list(self.events)}
        if rules:
            configuration["Filter"] = {"Key": {"FilterRules": rules}}
        s3 = aws.client("s3")
        existing = s3.get_bucket_notification_configuration(Bucket=self.bucket)
        existing.pop("ResponseMetadata", None)
        existing.setdefault("LambdaFunctionConfigurations", []).append(configuration)
        s3.put_bucket_notification_configuration(Bucket=self.bucket, NotificationConfiguration=existing)
