"""Versions, aliases and provisioned concurrency."""
from __future__ import annotations

import pytest

from lambdanb.errors import InvalidParameterValueException, ResourceNotFoundException

V1 = "import os\ndef lambda_handler(e, c):\n    return ['v1', c.function_version, c.invoked_function_arn, " \
     "os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']]\n"
V2 = V1.replace("'v1'", "'v2'")


def test_publish_and_invoke_versions(service):
    service.create_function("app", V1)
    one = service.publish_version("app")
    assert one.version == "1" and service.publish_version("app").version == "1"  # nothing changed
    service.update_function("app", V2)
    assert service.publish_version("app").version == "2"
    assert service.invoke("app").payload[:2] == ["v2", "$LATEST"]
    r = service.invoke("app", qualifier="1")
    assert r.payload[:3] == ["v1", "1", "arn:aws:lambda:us-east-1:123456789012:function:app:1"]
    assert r.executed_version == "1"
    assert f"START RequestId: {r.request_id} Version: 1" in r.logs
    assert "[1]" in service.get_logs("app", request_id=r.request_id)[0].log_stream
    assert [v.version for v in service.list_versions_by_function("app")] == ["$LATEST", "1", "2"]
    with pytest.raises(ResourceNotFoundException, match="function:app:9"):
        service.invoke("app", qualifier="9")


def test_aliases_route_to_versions(service):
    service.create_function("app", V1)
    service.publish_version("app")
    service.update_function("app", V2)
    service.publish_version("app")
    alias = service.create_alias("app", "prod", "1")
    assert alias["AliasArn"] == "arn:aws:lambda:us-east-1:123456789012:function:app:prod"
    r = service.invoke("app", qualifier="prod")
    assert r.payload[:3] == ["v1", "1", "arn:aws:lambda:us-east-1:123456789012:function:app:prod"]
    assert r.executed_version == "1"
    service.update_alias("app", "prod", "2")
    assert service.invoke("arn:aws:lambda:us-east-1:123456789012:function:app:prod").payload[0] == "v2"
    assert [a["Name"] for a in service.list_aliases("app")] == ["prod"]


def test_updating_latest_leaves_published_versions_warm(service):
    service.create_function("app", V1)
    service.publish_version("app")
    service.invoke("app", qualifier="1")
    service.update_function("app", V2)
    assert service.invoke("app", qualifier="1").init_duration_ms is None


def test_provisioned_concurrency(service):
    service.create_function("app", V1)
    service.publish_version("app")
    service.create_alias("app", "live", "1")
    with pytest.raises(InvalidParameterValueException, match="unpublished function versions"):
        service.put_provisioned_concurrency_config("app", "$LATEST", 1)
    status = service.put_provisioned_concurrency_config("app", "live", 2)
    assert status["Status"] == "READY"
    assert service.environments("app", "1") == 2
    assert sum(1 for e in service.get_logs("app") if e.message.startswith("INIT_START")) == 2
    r = service.invoke("app", qualifier="live")
    assert r.init_duration_ms is None and r.payload[3] == "provisioned-concurrency"
    assert service.invoke("app").payload[3] == "on-demand"  # $LATEST is not provisioned
