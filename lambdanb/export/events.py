"""The function's triggers as SAM events, read from the Lambda service (event source mappings) and from the local
AWS (bucket notifications, SNS subscriptions, EventBridge rules, Scheduler schedules, API Gateway APIs), their
resources the stack's."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import aws
from ..arns import Arn, service_of
from ..local_aws_server import invoked_function
from .resources import Stack, logical_id

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

# The Lambda (and SAM) defaults of a mapping: left out of the template.
_MAPPING_DEFAULTS = {"MaximumBatchingWindowInSeconds": 0, "FunctionResponseTypes": [],
                     "BisectBatchOnFunctionError": False, "MaximumRetryAttempts": -1,
                     "MaximumRecordAgeInSeconds": -1}
# What Scheduler writes when a schedule says nothing: left out of the template.
_SCHEDULER_DEFAULTS = ({"Mode": "OFF"}, {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185})
_MAPPING_EVENT = {"sqs": ("SQS", "Queue"), "kinesis": ("Kinesis", "Stream"), "dynamodb": ("DynamoDB", "Stream")}


def events(service: LambdaService, name: str, stack: Stack) -> dict[str, Any]:
    """Every trigger of the function, as the Events of its AWS::Serverless::Function, named after their source."""
    arn = service.get_function(name).arn
    found: dict[str, Any] = {}
    for source, event in [*_mappings(service, name, stack), *_bucket_notifications(arn, stack),
                          *_subscriptions(arn, stack), *_rules(arn, stack), *_schedules(arn), *_apis(arn, stack)]:
        key = logical_id(source, event["Type"])
        while key in found:
            key += "X"
        found[key] = event
    return found


def _ours(target: str, function: str) -> bool:
    """Whether a target ARN is the function's (unqualified, or a version or alias of it)."""
    return target == function or target.startswith(function + ":")


def _mappings(service: LambdaService, name: str, stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    for mapping in service.list_event_source_mappings(name):
        arn = mapping["EventSourceArn"]
        kind = service_of(arn)
        event_type, source_key = _MAPPING_EVENT[kind]
        properties: dict[str, Any] = {source_key: stack.refer(arn), "BatchSize": mapping["BatchSize"],
                                      "Enabled": mapping["State"] in ("Enabled", "Enabling")}
        if kind != "sqs":
            properties["StartingPosition"] = mapping["StartingPosition"]
        for key, default in _MAPPING_DEFAULTS.items():
            if key in mapping and mapping[key] != default:
                properties[key] = mapping[key]
        if mapping.get("FilterCriteria", {}).get("Filters"):
            properties["FilterCriteria"] = {"Filters": [{"Pattern": f["Pattern"]}
                                                        for f in mapping["FilterCriteria"]["Filters"]]}
        on_failure = mapping.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if on_failure:
            properties["DestinationConfig"] = {"OnFailure": {"Destination": stack.refer(on_failure),
                                                             "Type": service_of(on_failure).upper()}}
        parts = (Arn.parse(arn) or Arn("", "", "", arn)).resource.split("/")  # queue, stream/S, table/T/stream/L
        yield parts[1] if len(parts) > 1 else parts[0], {"Type": event_type, "Properties": properties}


def _bucket_notifications(function: str, stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    """S3 events: the buckets' LambdaFunctionConfigurations that invoke the function (SAM wants the bucket in the
    same template, and writes the notification itself)."""
    s3 = aws.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        configurations = s3.get_bucket_notification_configuration(Bucket=bucket["Name"])
        for configuration in configurations.get("LambdaFunctionConfigurations", []):
            if not _ours(configuration["LambdaFunctionArn"], function):
                continue
            declared = stack.declare("s3", bucket["Name"])
            if declared is None:
                continue
            properties: dict[str, Any] = {"Bucket": {"Ref": declared.logical_id},
                                          "Events": list(configuration["Events"])}
            rules = configuration.get("Filter", {}).get("Key", {}).get("FilterRules", [])
            if rules:
                properties["Filter"] = {"S3Key": {"Rules": [{"Name": rule["Name"].lower(), "Value": rule["Value"]}
                                                            for rule in rules]}}
            yield bucket["Name"], {"Type": "S3", "Properties": properties}


def _subscriptions(function: str, stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    sns = aws.client("sns")
    for page in sns.get_paginator("list_subscriptions").paginate():
        for subscription in page["Subscriptions"]:
            if subscription["Protocol"] != "lambda" or not _ours(subscription["Endpoint"], function):
                continue
            attributes = sns.get_subscription_attributes(
                SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
            properties: dict[str, Any] = {"Topic": stack.refer(subscription["TopicArn"])}
            if attributes.get("FilterPolicy"):
                properties["FilterPolicy"] = json.loads(attributes["FilterPolicy"])
                properties["FilterPolicyScope"] = attributes.get("FilterPolicyScope", "MessageAttributes")
            yield subscription["TopicArn"].split(":")[-1], {"Type": "SNS", "Properties": properties}


def _rules(function: str, stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    """EventBridge rules targeting the function: a schedule (on the default bus) or an event pattern."""
    client = aws.client("events")
    for bus in client.list_event_buses()["EventBuses"]:
        names = client.list_rule_names_by_target(TargetArn=function, EventBusName=bus["Name"])["RuleNames"]
        for rule_name in names:
            rule = client.describe_rule(Name=rule_name, EventBusName=bus["Name"])
            targets = client.list_targets_by_rule(Rule=rule_name, EventBusName=bus["Name"])["Targets"]
            target = next(t for t in targets if _ours(t["Arn"], function))
            properties: dict[str, Any] = {"State": rule.get("State", "ENABLED")}
            if rule.get("Description"):
                properties["Description"] = rule["Description"]
            if target.get("Input"):
                properties["Input"] = target["Input"]
            if rule.get("ScheduleExpression"):
                yield rule_name, {"Type": "Schedule", "Properties": {"Schedule": rule["ScheduleExpression"],
                                                                     **properties}}
                continue
            if target.get("InputPath"):
                properties["InputPath"] = target["InputPath"]
            properties["Pattern"] = json.loads(rule["EventPattern"])
            if bus["Name"] != "default":
                declared = stack.declare("events", bus["Name"])
                properties["EventBusName"] = declared.name if declared else bus["Name"]
            yield rule_name, {"Type": "EventBridgeRule", "Properties": properties}


def _schedules(function: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """EventBridge Scheduler schedules targeting the function, enabled or not."""
    scheduler = aws.client("scheduler")
    for listed in scheduler.get_paginator("list_schedules").paginate().search("Schedules[]"):
        schedule = scheduler.get_schedule(Name=listed["Name"], GroupName=listed.get("GroupName", "default"))
        target = schedule["Target"]
        if not _ours(target["Arn"], function):
            continue
        properties: dict[str, Any] = {"ScheduleExpression": schedule["ScheduleExpression"],
                                      "State": schedule.get("State", "ENABLED")}
        optional = {"ScheduleExpressionTimezone": schedule.get("ScheduleExpressionTimezone"),
                    "FlexibleTimeWindow": schedule.get("FlexibleTimeWindow"), "Input": target.get("Input"),
                    "RetryPolicy": target.get("RetryPolicy")}
        properties.update({key: value for key, value in optional.items() if value and value not in _SCHEDULER_DEFAULTS})
        yield schedule["Name"], {"Type": "ScheduleV2", "Properties": properties}


def _apis(function: str, stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    """API Gateway routes whose Lambda proxy integration invokes the function: Api events on an
    AWS::Serverless::Api (REST API) and HttpApi events on an AWS::Serverless::HttpApi, or on SAM's implicit HTTP API
    for one made by quick create. SAM writes the permission each route needs in the function's policy."""
    api_ids = sorted({trigger["Source"].rsplit(":", 1)[1] for trigger in aws.local.lambda_triggers()
                      if trigger["Type"] == "API Gateway" and _ours(trigger["FunctionArn"], function)})
    implicit_taken = False
    for api_id in api_ids:
        api = aws.local.api_routes(api_id)
        if api is None:
            continue
        if api["kind"] == "REST":
            yield from _rest_api(api_id, api, function, stack)
            continue
        quick = set(api["stages"]) == {"$default"} and all(r["routeKey"] == "$default" for r in api["routes"])
        if quick and not implicit_taken:  # SAM's implicit HTTP API is a quick create's: $default route and stage
            implicit_taken = True
            name = aws.client("apigatewayv2").get_api(ApiId=api_id)["Name"]
            yield name, {"Type": "HttpApi", "Properties": {}}
            continue
        yield from _http_api(api_id, api, function, stack)


def _invokes(integration: dict[str, Any] | None, function: str) -> bool:
    """Whether an API's integration is a Lambda proxy integration of the function (the only kind SAM writes)."""
    if not integration or integration["type"] != "AWS_PROXY":
        return False
    return _ours(invoked_function(integration["uri"] or ""), function)


def _api_resource(stack: Stack, name: str, stages: dict[str, dict[str, str]],
                  kind: tuple[str, str, str, str]) -> str:
    """An AWS::Serverless::Api or HttpApi resource with the API's first stage (SAM's have one) and its variables;
    kind is (SAM's type, what a person calls it, the stage when there is none, the variables' property)."""
    sam_type, described, default_stage, variables_key = kind
    logical = stack.free_id(logical_id(name, sam_type))
    stage, variables = next(iter(stages.items()), (default_stage, {}))
    properties: dict[str, Any] = {"Name": stack.name_parameter(logical, name, described), "StageName": stage}
    if variables:
        properties[variables_key] = variables
    stack.resources[logical] = {"Type": f"AWS::Serverless::{sam_type}", "Properties": properties}
    return logical


def _rest_api(api_id: str, api: dict[str, Any], function: str,
              stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    """A REST API's methods as Api events; SAM's Api has one stage, the API's first (Prod if never deployed)."""
    methods = [(resource["path"], method) for resource in api["resources"]
               for method, integration in sorted(resource["methods"].items()) if _invokes(integration, function)]
    if not methods:  # a non-proxy integration only: SAM cannot write it, and an Api without events is refused
        return
    name = aws.client("apigateway").get_rest_api(restApiId=api_id)["name"]
    logical = _api_resource(stack, name, api["stages"], ("Api", "REST API", "Prod", "Variables"))
    for path, method in methods:
        yield f"{name} {method} {path}", {"Type": "Api", "Properties": {
            "RestApiId": {"Ref": logical}, "Path": path, "Method": method.lower()}}


def _http_api(api_id: str, api: dict[str, Any], function: str,
              stack: Stack) -> Iterator[tuple[str, dict[str, Any]]]:
    """An HTTP API's routes as HttpApi events; SAM's HttpApi has one stage, the API's first ($default if none)."""
    routes = [route for route in api["routes"] if _invokes(route["integration"], function)]
    if not routes:
        return
    name = aws.client("apigatewayv2").get_api(ApiId=api_id)["Name"]
    logical = _api_resource(stack, name, api["stages"], ("HttpApi", "HTTP API", "$default", "StageVariables"))
    for route in routes:
        event: dict[str, Any] = {"ApiId": {"Ref": logical}}
        if route["routeKey"] != "$default":  # SAM's event without Path and Method is the $default route
            method, path = route["routeKey"].split(" ", 1)
            event.update({"Path": path, "Method": method})
        if route["integration"]["payloadFormatVersion"] != "2.0":
            event["PayloadFormatVersion"] = route["integration"]["payloadFormatVersion"]
        yield f"{name} {route['routeKey']}", {"Type": "HttpApi", "Properties": event}
