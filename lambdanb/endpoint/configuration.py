"""The endpoint's operations on what surrounds a function's code: concurrency, async configuration, event source
mappings, function URL configs, the resource policy, tags and the account's settings."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..arns import function_reference
from ..service.lambda_service import no_event_invoke_config
from .protocol import Reply, serves

if TYPE_CHECKING:
    from ..records import EventInvokeConfig
    from ..service.lambda_service import LambdaService

_MAPPING_SETTINGS = {"BatchSize": "batch_size", "MaximumBatchingWindowInSeconds": "maximum_batching_window_in_seconds",
                     "FunctionResponseTypes": "function_response_types", "Enabled": "enabled",
                     "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
                     "MaximumRetryAttempts": "maximum_retry_attempts", "StartingPosition": "starting_position",
                     "DestinationConfig": "destination_config", "FilterCriteria": "filter_criteria",
                     "MaximumRecordAgeInSeconds": "maximum_record_age_in_seconds"}


def _name(request: dict[str, Any], operation: str) -> str:
    return function_reference(request["FunctionName"], operation=operation)[0]


@serves("PutFunctionConcurrency")
def put_function_concurrency(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.put_function_concurrency(_name(request, "PutFunctionConcurrency"),
                                            request["ReservedConcurrentExecutions"])


@serves("GetFunctionConcurrency")
def get_function_concurrency(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.get_function_concurrency(_name(request, "GetFunctionConcurrency"))


@serves("DeleteFunctionConcurrency")
def delete_function_concurrency(service: LambdaService, request: dict[str, Any]) -> None:
    service.delete_function_concurrency(_name(request, "DeleteFunctionConcurrency"))


@serves("PutProvisionedConcurrencyConfig")
def put_provisioned_concurrency_config(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.put_provisioned_concurrency_config(_name(request, "PutProvisionedConcurrencyConfig"),
                                                      request["Qualifier"], request["ProvisionedConcurrentExecutions"])


@serves("GetProvisionedConcurrencyConfig")
def get_provisioned_concurrency_config(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.get_provisioned_concurrency_config(_name(request, "GetProvisionedConcurrencyConfig"),
                                                      request["Qualifier"])


@serves("DeleteProvisionedConcurrencyConfig")
def delete_provisioned_concurrency_config(service: LambdaService, request: dict[str, Any]) -> None:
    service.delete_provisioned_concurrency_config(_name(request, "DeleteProvisionedConcurrencyConfig"),
                                                  request["Qualifier"])


def _event_invoke_config(service: LambdaService, name: str, config: EventInvokeConfig) -> dict[str, Any]:
    destinations = {key: {"Destination": arn} for key, arn in
                    (("OnSuccess", config.on_success), ("OnFailure", config.on_failure)) if arn}
    return {"FunctionArn": service.get_function(name).arn, "MaximumRetryAttempts": config.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": config.maximum_event_age_in_seconds, "DestinationConfig": destinations}


@serves("PutFunctionEventInvokeConfig")
def put_function_event_invoke_config(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = _name(request, "PutFunctionEventInvokeConfig")
    config = service.put_function_event_invoke_config(
        name, maximum_retry_attempts=request.get("MaximumRetryAttempts"),
        maximum_event_age_in_seconds=request.get("MaximumEventAgeInSeconds"),
        destination_config=request.get("DestinationConfig"))
    return _event_invoke_config(service, name, config)


@serves("GetFunctionEventInvokeConfig")
def get_function_event_invoke_config(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = _name(request, "GetFunctionEventInvokeConfig")
    config = service.get_function_event_invoke_config(name)
    if config is None:
        raise no_event_invoke_config(service.get_function(name).arn, "GetFunctionEventInvokeConfig")
    return _event_invoke_config(service, name, config)


@serves("DeleteFunctionEventInvokeConfig")
def delete_function_event_invoke_config(service: LambdaService, request: dict[str, Any]) -> None:
    service.delete_function_event_invoke_config(_name(request, "DeleteFunctionEventInvokeConfig"))


@serves("CreateEventSourceMapping")
def create_event_source_mapping(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    settings = {_MAPPING_SETTINGS[key]: value for key, value in request.items() if key in _MAPPING_SETTINGS}
    return service.create_event_source_mapping(request["FunctionName"], request["EventSourceArn"], **settings)


@serves("GetEventSourceMapping")
def get_event_source_mapping(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.get_event_source_mapping(request["UUID"])


@serves("UpdateEventSourceMapping")
def update_event_source_mapping(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.update_event_source_mapping(request["UUID"], enabled=request.get("Enabled"),
                                               batch_size=request.get("BatchSize"),
                                               filter_criteria=request.get("FilterCriteria"),
                                               maximum_record_age_in_seconds=request.get("MaximumRecordAgeInSeconds"))


@serves("DeleteEventSourceMapping")
def delete_event_source_mapping(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.delete_event_source_mapping(request["UUID"])


@serves("ListEventSourceMappings")
def list_event_source_mappings(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    name = request.get("FunctionName")
    name = function_reference(name, operation="ListEventSourceMappings")[0] if name else None
    return {"EventSourceMappings": service.list_event_source_mappings(name)}


@serves("CreateFunctionUrlConfig")
def create_function_url_config(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.create_function_url_config(_name(request, "CreateFunctionUrlConfig"), request["AuthType"],
                                              request.get("Qualifier"), request.get("Cors"),
                                              request.get("InvokeMode", "BUFFERED"))


@serves("GetFunctionUrlConfig")
def get_function_url_config(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.get_function_url_config(_name(request, "GetFunctionUrlConfig"), request.get("Qualifier"))


@serves("DeleteFunctionUrlConfig")
def delete_function_url_config(service: LambdaService, request: dict[str, Any]) -> None:
    service.delete_function_url_config(_name(request, "DeleteFunctionUrlConfig"), request.get("Qualifier"))


@serves("AddPermission")
def add_permission(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    statement = service.add_permission(
        _name(request, "AddPermission"), request["StatementId"], request["Action"], request["Principal"],
        source_arn=request.get("SourceArn"), source_account=request.get("SourceAccount"),
        qualifier=request.get("Qualifier"), function_url_auth_type=request.get("FunctionUrlAuthType"),
        invoked_via_function_url=bool(request.get("InvokedViaFunctionUrl")))
    return {"Statement": json.dumps(statement)}


@serves("RemovePermission")
def remove_permission(service: LambdaService, request: dict[str, Any]) -> None:
    service.remove_permission(_name(request, "RemovePermission"), request["StatementId"])


@serves("GetPolicy")
def get_policy(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    policy = service.get_policy(_name(request, "GetPolicy"))
    return {"Policy": json.dumps(policy), "RevisionId": str(len(policy["Statement"]))}


@serves("TagResource")
def tag_resource(service: LambdaService, request: dict[str, Any]) -> Reply:
    service.tag_resource(request["Resource"], request["Tags"])
    return 204, {}, b""


@serves("UntagResource")
def untag_resource(service: LambdaService, request: dict[str, Any]) -> Reply:
    service.untag_resource(request["Resource"], request["TagKeys"])
    return 204, {}, b""


@serves("ListTags")
def list_tags(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return {"Tags": service.list_tags(request["Resource"])}


@serves("GetAccountSettings")
def get_account_settings(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.get_account_settings()
