"""Lambda is part of the local AWS: the same boto3 calls as on AWS reach lambdanb, from the notebook, from a
function, and from S3 notifications that moto sends itself."""
from __future__ import annotations

import calendar
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from support import eventually

import lambdanb
from lambdanb import aws

ECHO = "import json\ndef lambda_handler(event, context):\n    print('EVENT', json.dumps(event))\n    return event\n"
CALLER = """import json
import boto3

def lambda_handler(event, context):
    answer = boto3.client("lambda").invoke(FunctionName="echo", Payload=json.dumps({"from": "caller"}))
    return json.loads(answer["Payload"].read())
"""


def received(name: str) -> list[dict]:
    return [json.loads(e.message.split("EVENT ", 1)[1]) for e in lambdanb.get_logs(name, pattern="EVENT ")]


def allow(function: str, principal: str, source_arn: str) -> None:
    """The add_permission a script for AWS makes before a service may invoke the function."""
    aws.client("lambda").add_permission(FunctionName=function, StatementId=f"allow-{uuid.uuid4().hex[:8]}",
                                        Action="lambda:InvokeFunction", Principal=principal, SourceArn=source_arn)


def test_the_notebook_invokes_through_the_local_aws(shell):
    lambdanb.create_function("echo", ECHO)
    client = aws.client("lambda")
    answer = client.invoke(FunctionName="echo", Payload=json.dumps({"k": 1}))
    assert answer["StatusCode"] == 200 and json.loads(answer["Payload"].read()) == {"k": 1}
    assert client.get_function(FunctionName="echo")["Configuration"]["FunctionName"] == "echo"


def test_a_function_invokes_another_with_plain_boto3(shell):
    role = f"caller-{uuid.uuid4().hex[:8]}"
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"], {"invoke": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:InvokeFunction",
                                                "Resource": "*"}]}})
    lambdanb.create_function("echo", ECHO)
    lambdanb.create_function("caller", CALLER, role=role, timeout=30)
    result = lambdanb.invoke("caller")
    assert result.function_error is None, result.payload
    assert result.payload == {"from": "caller"}


def test_an_s3_notification_configuration_invokes_the_function(shell):
    lambdanb.create_function("echo", ECHO)
    s3 = aws.client("s3")
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    allow("echo", "s3.amazonaws.com", f"arn:aws:s3:::{bucket}")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:echo",
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})
    s3.put_object(Bucket=bucket, Key="in/rec 1.json", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="elsewhere.json", Body=b"{}")
    assert lambdanb.drain(30)
    (event,) = received("echo")
    (record,) = event["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"].startswith("ObjectCreated")
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["object"]["key"] == "in/rec+1.json"  # S3 keeps the slash and writes a space as +


def test_an_sns_lambda_subscription_with_a_filter_policy(shell):
    lambdanb.create_function("echo", ECHO)
    sns = aws.client("sns")
    topic = sns.create_topic(Name=f"orders-{uuid.uuid4().hex[:8]}")["TopicArn"]
    allow("echo", "sns.amazonaws.com", topic)
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda",
                                 Endpoint="arn:aws:lambda:us-east-1:123456789012:function:echo",
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=subscription, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"kind": ["paid"]}))
    sns.publish(TopicArn=topic, Message="order 1", Subject="paid order",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "paid"}})
    sns.publish(TopicArn=topic, Message="order 2", Subject="free order",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "free"}})
    assert lambdanb.drain(30)
    (event,) = received("echo")
    (record,) = event["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventSubscriptionArn"] == subscription
    message = record["Sns"]
    assert (message["Message"], message["Subject"], message["TopicArn"]) == ("order 1", "paid order", topic)
    assert message["MessageAttributes"]["kind"] == {"Type": "String", "Value": "paid"}
    assert {"MessageId", "Signature", "SigningCertUrl", "UnsubscribeUrl", "Timestamp"} <= set(message)


def test_eventbridge_rules_deliver_matching_events_with_each_targets_input(shell):
    lambdanb.create_function("echo", ECHO)
    events = aws.client("events")
    rule = f"orders-{uuid.uuid4().hex[:8]}"
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.orders"],
                                                                   "detail-type": ["OrderPlaced"]}))["RuleArn"]
    allow("echo", "events.amazonaws.com", rule_arn)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:echo"
    events.put_targets(Rule=rule, Targets=[
        {"Id": "whole", "Arn": arn},
        {"Id": "constant", "Arn": arn, "Input": json.dumps({"constant": True})},
        {"Id": "path", "Arn": arn, "InputPath": "$.detail"},
        {"Id": "transformed", "Arn": arn, "InputTransformer": {
            "InputPathsMap": {"order": "$.detail.id"}, "InputTemplate": '{"order": <order>, "kind": "placed"}'}}])
    answer = events.put_events(Entries=[
        {"Source": "shop.orders", "DetailType": "OrderPlaced", "Detail": json.dumps({"id": 7})},
        {"Source": "shop.orders", "DetailType": "OrderShipped", "Detail": json.dumps({"id": 8})}])
    assert answer["FailedEntryCount"] == 0
    assert lambdanb.drain(30)
    got = received("echo")
    assert len(got) == 4  # the shipped order matched no rule
    whole = next(e for e in got if e.get("detail-type") == "OrderPlaced")
    assert whole["source"] == "shop.orders" and whole["detail"] == {"id": 7} and whole["version"] == "0"
    assert whole["account"] == "123456789012" and whole["region"] == "us-east-1" and whole["time"].endswith("Z")
    assert {"constant": True} in got and {"id": 7} in got and {"order": 7, "kind": "placed"} in got


def test_scheduled_rules_and_scheduler_schedules_fire_on_the_sped_up_clock(shell):
    lambdanb.configure(schedule_speedup=60)  # rate(1 minute) fires every second
    lambdanb.create_function("echo", ECHO)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:echo"
    events = aws.client("events")
    rule = f"tick-{uuid.uuid4().hex[:8]}"
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    allow("echo", "events.amazonaws.com", rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "tick", "Arn": arn}])
    aws.client("scheduler").create_schedule(
        Name=f"nightly-{uuid.uuid4().hex[:8]}", ScheduleExpression="cron(0/2 * * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": scheduler_role(allowed=True), "Input": '{"job": "cleanup"}'})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = received("echo")
        ticks = [e for e in got if e.get("detail-type") == "Scheduled Event"]
        if len(ticks) >= 3 and {"job": "cleanup"} in got:
            break
        time.sleep(0.2)
    assert len(ticks) >= 3 and {"job": "cleanup"} in got
    tick = ticks[0]
    assert tick["source"] == "aws.events" and tick["resources"] == [rule_arn] and tick["detail"] == {}
    assert lambdanb.drain(5)  # schedules are not waited for


def test_s3_refuses_a_function_whose_policy_does_not_allow_it(shell):
    lambdanb.create_function("echo", ECHO)
    s3 = aws.client("s3")
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    allow("echo", "s3.amazonaws.com", "arn:aws:s3:::another-bucket")
    # A public function URL's statement names everyone, but only for calls through the URL.
    aws.client("lambda").add_permission(FunctionName="echo", StatementId="url", Action="lambda:InvokeFunction",
                                        Principal="*", InvokedViaFunctionUrl=True)
    configuration = {"LambdaFunctionConfigurations": [{
        "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:echo", "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError, match="Unable to validate the following destination configurations") as refused:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    missing = {"LambdaFunctionConfigurations": [{
        "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:no-such", "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError, match="Unable to validate the following destination configurations"):
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=missing)


def test_sns_and_eventbridge_deliver_only_where_the_policy_allows(shell):
    lambdanb.create_function("echo", ECHO)
    lambdanb.create_function("closed", ECHO)
    sns, events = aws.client("sns"), aws.client("events")
    topic = sns.create_topic(Name=f"orders-{uuid.uuid4().hex[:8]}")["TopicArn"]
    rule = f"orders-{uuid.uuid4().hex[:8]}"
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.refunds"]}))["RuleArn"]
    allow("echo", "sns.amazonaws.com", topic)
    allow("echo", "events.amazonaws.com", rule_arn)
    allow("closed", "sns.amazonaws.com", "arn:aws:sns:us-east-1:123456789012:another-topic")  # not this one
    for name in ("echo", "closed"):
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
        events.put_targets(Rule=rule, Targets=[{"Id": name, "Arn": arn}])
    sns.publish(TopicArn=topic, Message="order 1")
    events.put_events(Entries=[{"Source": "shop.refunds", "DetailType": "RefundAsked", "Detail": "{}"}])
    assert lambdanb.drain(30)
    kinds = sorted("sns" if "Records" in event else "events" for event in received("echo"))
    assert kinds == ["events", "sns"]
    assert received("closed") == []
    cloudwatch = aws.client("cloudwatch")

    def rule_metric(name: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Events", MetricName=name, Dimensions=[{"Name": "RuleName", "Value": rule}],
            StartTime=time.time() - 600, EndTime=time.time() + 60, Period=60, Statistics=["Sum"])["Datapoints"]
        return sum(point["Sum"] for point in points)

    assert (rule_metric("Invocations"), rule_metric("FailedInvocations")) == (2, 1)  # closed's was refused


def scheduler_role(allowed: bool) -> str:
    """A role for EventBridge Scheduler to invoke with (it needs lambda:InvokeFunction), or one without it."""
    action = "lambda:InvokeFunction" if allowed else "sqs:SendMessage"
    return aws.create_role(f"scheduler-{uuid.uuid4().hex[:8]}", (), {"target": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}})


def test_schedules_invoke_only_where_the_policy_or_the_schedules_role_allows_it(shell):
    """A scheduled rule invokes as events.amazonaws.com (the function's policy decides); a Scheduler schedule with
    its role (the role's policies decide)."""
    lambdanb.configure(schedule_speedup=60)
    lambdanb.create_function("echo", ECHO)
    lambdanb.create_function("closed", ECHO)
    events = aws.client("events")
    for name in ("echo", "closed"):
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        rule = f"tick-{uuid.uuid4().hex[:8]}"
        rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
        events.put_targets(Rule=rule, Targets=[{"Id": "tick", "Arn": arn}])
        aws.client("scheduler").create_schedule(
            Name=f"every-{uuid.uuid4().hex[:8]}", ScheduleExpression="rate(1 minute)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": arn, "RoleArn": scheduler_role(allowed=name == "echo"), "Input": '{"job": "cleanup"}'})
        if name == "echo":
            allow(name, "events.amazonaws.com", rule_arn)
    assert eventually(lambda: sum(e.get("detail-type") == "Scheduled Event" for e in received("echo")) >= 2
                      and received("echo").count({"job": "cleanup"}) >= 2, 60)
    assert received("closed") == []


def test_schedule_expressions_as_aws_writes_them():
    from lambdanb.service.triggers.schedules import next_time
    start = calendar.timegm((2026, 11, 27, 10, 0, 30, 0, 0, 0))  # a Friday
    assert next_time("rate(5 minutes)", start) == start + 300
    assert next_time("rate(1 day)", start) == start + 86400
    assert time.gmtime(next_time("cron(0 12 * * ? *)", start))[3:5] == (12, 0)
    monday = time.gmtime(next_time("cron(0 8 ? * 2 *)", start))  # AWS: 2 is Monday
    assert (monday.tm_wday, monday.tm_hour) == (0, 8)
    assert time.gmtime(next_time("cron(0 0 1 1 ? 2030)", start)).tm_year == 2030
    assert next_time("at(2026-11-27T09:00:00)", start) is None


def test_an_s3_trigger_that_cannot_be_made_leaves_no_permission_behind(shell):
    lambdanb.create_function("echo", ECHO)
    with pytest.raises(lambdanb.LambdaNBError, match="^The bucket no-such-bucket-here cannot notify echo: "):
        lambdanb.add_s3_trigger("echo", "no-such-bucket-here")
    with pytest.raises(aws.client("lambda").exceptions.ResourceNotFoundException):
        aws.client("lambda").get_policy(FunctionName="echo")
