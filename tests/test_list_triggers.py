"""A function's triggers of every kind, made with boto3 as on AWS, listed by list_triggers and the console's
Configuration tab with the function's resource policy."""
from __future__ import annotations

import json

from support import unique

from lambdanb import aws
from lambdanb.widgets.config_panel import ConfigPanel

ARN = "arn:aws:lambda:us-east-1:123456789012:function:web"


def test_every_kind_of_trigger_and_the_policy_are_listed(service):
    service.create_function("web", "def lambda_handler(event, context):\n    return event\n")
    service.create_function("other", "def lambda_handler(event, context):\n    return event\n")
    bucket = unique("uploads")
    aws.client("s3").create_bucket(Bucket=bucket)
    service.add_s3_trigger("web", bucket, suffix=".jpg")  # adds the permission S3 needs, as the console does
    sns = aws.client("sns")
    topic = sns.create_topic(Name=unique("orders"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=ARN)
    events = aws.client("events")
    rule = unique("paid")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "web", "Arn": ARN}])
    tick = unique("tick")
    events.put_rule(Name=tick, ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule=tick, Targets=[{"Id": "web", "Arn": ARN}])
    aws.client("scheduler").create_schedule(
        Name=unique("nightly"), ScheduleExpression="cron(0 2 * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": ARN, "RoleArn": "arn:aws:iam::123456789012:role/scheduler"})
    http_api = aws.client("apigatewayv2").create_api(Name=unique("quick"), ProtocolType="HTTP", Target=ARN)
    aws.client("apigatewayv2").create_api(Name=unique("elsewhere"), ProtocolType="HTTP",
                                          Target=ARN.replace(":web", ":other"))
    aws.client("lambda").create_function_url_config(FunctionName="web", AuthType="NONE")
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=unique("jobs"))["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("lambda").create_event_source_mapping(FunctionName="web", EventSourceArn=queue)

    triggers = service.list_triggers("web")
    sources = {(t["Type"], t["Source"].split(":")[-1]) for t in triggers}
    assert ("S3", bucket) in sources and ("SNS", topic.split(":")[-1]) in sources
    assert ("EventBridge", f"rule/{rule}") in sources and ("EventBridge", f"rule/{tick}") in sources
    assert ("API Gateway", http_api["ApiId"]) in sources and ("Event source mapping", queue.split(":")[-1]) in sources
    assert {t["Type"] for t in triggers} == {"S3", "SNS", "EventBridge", "EventBridge Scheduler", "API Gateway",
                                             "Function URL", "Event source mapping"}
    (quick,) = [t for t in triggers if t["Type"] == "API Gateway" and t["Source"].endswith(http_api["ApiId"])]
    assert quick["Detail"].startswith("$default (HTTP API quick-")
    assert all(t["FunctionArn"].split(":")[6] == "web" for t in triggers)
    assert [t for t in service.list_triggers("other") if t["Type"] == "API Gateway"]

    panel = ConfigPanel(service, "web")
    assert f"S3: arn:aws:s3:::{bucket} (s3:ObjectCreated:*, suffix .jpg)" in panel.view.value
    assert "s3.amazonaws.com may lambda:InvokeFunction if AWS:SourceArn arn:aws:s3:::" in panel.view.value
