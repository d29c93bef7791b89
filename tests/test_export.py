"""Export to SAM: code, layers, requirements and a template.yaml whose resources and events are the stack's own,
checked by cfn-lint, `sam validate --lint` and the SAM translator for every kind of trigger."""
from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import SAM, check_template, make_queue, make_stream, make_table, rest_api, unique, zipped

from lambdanb import aws
from lambdanb.export import export_function

HANDLER = "def lambda_handler(event, context):\n    return 1\n"


def exported(service, name, directory: Path) -> tuple[dict, dict]:
    """Export the function, check its template, and return the template and the function's properties."""
    path = export_function(service, name, directory)
    translated = check_template(path)
    assert SAM is None or "AWS::Lambda::Function" in translated.split()
    template = yaml.safe_load(path.read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) == 1
    return template, functions[0]["Properties"]


def get_att(template: dict, resource_type: str, attribute: str = "Arn") -> dict:
    """The one resource of a type in the template, as !GetAtt of its attribute."""
    [logical] = [k for k, r in template["Resources"].items() if r["Type"] == resource_type]
    return {"Fn::GetAtt": [logical, attribute]}


def test_export_a_python_function_with_everything(service, tmp_path):
    sqs, url, queue = make_queue(visibility_timeout=45)
    _, failures_url, failures = make_queue()
    dynamodb, table, _ = make_table("orders", "NEW_IMAGE")
    role = unique("exported")
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"], {"read": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": queue},
        {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": f"arn:aws:dynamodb:us-east-1:123456789012:"
                                                                     f"table/{table}/index/*"}]}})
    code = "import json\nimport requests\nimport boto3\nimport helpers_of_mine\n\n" + HANDLER
    service.create_function("order-processor", code, memory_size=256, timeout=30, ephemeral_storage=1024,
                            environment={"STAGE": "prod", "TABLE": table, "QUEUE_URL": url,
                                         "FAILURES": failures.rsplit(":", 1)[1]},
                            description="Processes orders", role=role, dead_letter_config={"TargetArn": failures})
    (service.get_function("order-processor").task_root / "helpers_of_mine.py").write_text("")
    service.put_function_concurrency("order-processor", 5)
    service.tag_resource(service.get_function("order-processor").arn, {"course": "serverless"})
    service.create_function("audit", HANDLER)
    service.put_function_event_invoke_config("order-processor", maximum_retry_attempts=1, destination_config={
        "OnFailure": {"Destination": failures}, "OnSuccess": {"Destination": service.get_function("audit").arn}})
    service.create_event_source_mapping("order-processor", queue, batch_size=5,
                                        function_response_types=["ReportBatchItemFailures"])
    template, properties = exported(service, "order-processor", tmp_path / "export")
    assert (tmp_path / "export" / "function" / "lambda_function.py").read_text() == code
    assert properties["CodeUri"] == "function/"
    assert (tmp_path / "export" / "function" / "requirements.txt").read_text() == \
        f"requests=={importlib.metadata.version('requests')}\n"  # helpers_of_mine is the package's own
    assert properties["Handler"] == "lambda_function.lambda_handler" and properties["Runtime"] == "python3.12"
    assert properties["FunctionName"] == {"Ref": "OrderProcessorFunctionName"}
    assert template["Parameters"]["OrderProcessorFunctionName"]["Default"] == "order-processor"
    assert properties["MemorySize"] == 256 and properties["Timeout"] == 30
    assert properties["EphemeralStorage"] == {"Size": 1024} and properties["Architectures"] == ["x86_64"]
    assert properties["ReservedConcurrentExecutions"] == 5 and properties["Tags"] == {"course": "serverless"}
    assert "123456789012" not in json.dumps(properties)  # the local account's ARNs are gone
    queues = {r["Properties"]["QueueName"]["Ref"]: k for k, r in template["Resources"].items()
              if r["Type"] == "AWS::SQS::Queue"}
    names = {template["Parameters"][parameter]["Default"]: queues[parameter] for parameter in queues}
    orders, failed = names[queue.rsplit(":", 1)[1]], names[failures.rsplit(":", 1)[1]]
    assert template["Resources"][orders]["Properties"]["VisibilityTimeout"] == 45
    [table_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    assert template["Resources"][table_id]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert properties["Environment"] == {"Variables": {"STAGE": "prod", "TABLE": {"Ref": table_id},
                                                       "QUEUE_URL": {"Ref": orders},
                                                       "FAILURES": {"Fn::GetAtt": [failed, "QueueName"]}}}
    assert properties["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": [failed, "Arn"]}}
    assert properties["EventInvokeConfig"] == {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 21600,
                                               "DestinationConfig": {
                                                   "OnSuccess": {"Type": "Lambda",
                                                                 "Destination": {"Ref": "AuditLambdaArn"}},
                                                   "OnFailure": {"Type": "SQS",
                                                                 "Destination": {"Fn::GetAtt": [failed, "Arn"]}}}}
    assert "Default" not in template["Parameters"]["AuditLambdaArn"]  # another function: its ARN on AWS is asked for
    [event] = properties["Events"].values()
    assert event == {"Type": "SQS", "Properties": {"Queue": {"Fn::GetAtt": [orders, "Arn"]}, "BatchSize": 5,
                                                   "Enabled": True,
                                                   "FunctionResponseTypes": ["ReportBatchItemFailures"]}}
    assert properties["Policies"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": [orders, "Arn"]}},
            {"Effect": "Allow", "Action": "dynamodb:Query", "Resource": {"Fn::Sub": f"${{{table_id}.Arn}}/index/*"}}]}]


def test_export_stream_mappings_with_their_failure_destinations_and_filters(service, tmp_path):
    _, _, stream = make_stream("clicks")
    _, table, table_stream = make_table("players", "NEW_AND_OLD_IMAGES")
    _, _, failures = make_queue()
    service.create_function("streams", HANDLER)
    service.create_event_source_mapping("streams", stream, starting_position="TRIM_HORIZON", batch_size=50,
                                        bisect_batch_on_function_error=True, maximum_retry_attempts=2,
                                        maximum_record_age_in_seconds=3600,
                                        destination_config={"OnFailure": {"Destination": failures}})
    pattern = json.dumps({"eventName": ["INSERT"]})
    topic = aws.client("sns").create_topic(Name=unique("alarms"))["TopicArn"]
    service.create_event_source_mapping("streams", table_stream, starting_position="LATEST", batch_size=10,
                                        filter_criteria={"Filters": [{"Pattern": pattern}]},
                                        destination_config={"OnFailure": {"Destination": topic}})
    template, properties = exported(service, "streams", tmp_path)
    events = {event["Type"]: event["Properties"] for event in properties["Events"].values()}
    assert events["Kinesis"] == {
        "Stream": get_att(template, "AWS::Kinesis::Stream"), "BatchSize": 50, "Enabled": True,
        "StartingPosition": "TRIM_HORIZON", "BisectBatchOnFunctionError": True, "MaximumRetryAttempts": 2,
        "MaximumRecordAgeInSeconds": 3600,
        "DestinationConfig": {"OnFailure": {"Destination": get_att(template, "AWS::SQS::Queue"), "Type": "SQS"}}}
    [topic_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    assert events["DynamoDB"] == {"Stream": get_att(template, "AWS::DynamoDB::Table", "StreamArn"), "BatchSize": 10,
                                  "Enabled": True, "StartingPosition": "LATEST",
                                  "FilterCriteria": {"Filters": [{"Pattern": pattern}]},
                                  "DestinationConfig": {"OnFailure": {"Destination": {"Ref": topic_id},
                                                                      "Type": "SNS"}}}
    [kinesis] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Kinesis::Stream"]
    assert kinesis["Properties"]["ShardCount"] == 1
    assert {p["Default"] for p in template["Parameters"].values()} >= {stream.rsplit("/", 1)[1], table}


def test_export_pushed_triggers_and_the_function_url(service, tmp_path):
    service.create_function("pushed", HANDLER)
    arn = service.get_function("pushed").arn
    bucket = unique("photos")
    aws.client("s3").create_bucket(Bucket=bucket)
    service.add_s3_trigger("pushed", bucket, prefix="uploads/", suffix=".jpg")
    sns = aws.client("sns")
    topic = sns.create_topic(Name=unique("news"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn,
                  Attributes={"FilterPolicy": json.dumps({"kind": ["sale"]})})
    events = aws.client("events")
    rule = unique("every-five")
    events.put_rule(Name=rule, ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule=rule, Targets=[{"Id": "1", "Arn": arn, "Input": '{"job": "tidy"}'}])
    bus = unique("shop")
    events.create_event_bus(Name=bus)
    events.put_rule(Name="orders", EventBusName=bus, EventPattern=json.dumps({"source": ["shop.orders"]}))
    events.put_targets(Rule="orders", EventBusName=bus, Targets=[{"Id": "1", "Arn": arn}])
    aws.client("scheduler").create_schedule(
        Name=unique("nightly"), ScheduleExpression="cron(0 3 * * ? *)", ScheduleExpressionTimezone="Europe/Paris",
        FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}, State="DISABLED",
        Target={"Arn": arn, "RoleArn": "arn:aws:iam::123456789012:role/scheduler", "Input": '{"job": "report"}'})
    service.create_function_url_config("pushed", cors={"AllowOrigins": ["*"], "AllowMethods": ["GET"]})
    template, properties = exported(service, "pushed", tmp_path)
    found = {event["Type"]: event["Properties"] for event in properties["Events"].values()}
    [bucket_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::S3::Bucket"]
    assert found["S3"] == {"Bucket": {"Ref": bucket_id}, "Events": ["s3:ObjectCreated:*"], "Filter": {"S3Key": {
        "Rules": [{"Name": "prefix", "Value": "uploads/"}, {"Name": "suffix", "Value": ".jpg"}]}}}
    [topic_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    assert found["SNS"] == {"Topic": {"Ref": topic_id}, "FilterPolicy": {"kind": ["sale"]},
                            "FilterPolicyScope": "MessageAttributes"}
    assert found["Schedule"] == {"Schedule": "rate(5 minutes)", "State": "ENABLED", "Input": '{"job": "tidy"}'}
    [bus_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::EventBus"]
    assert found["EventBridgeRule"] == {"State": "ENABLED", "Pattern": {"source": ["shop.orders"]},
                                        "EventBusName": {"Ref": bus_id}}
    assert found["ScheduleV2"] == {"ScheduleExpression": "cron(0 3 * * ? *)", "State": "DISABLED",
                                   "ScheduleExpressionTimezone": "Europe/Paris", "Input": '{"job": "report"}',
                                   "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}}
    assert properties["FunctionUrlConfig"] == {"AuthType": "NONE", "InvokeMode": "BUFFERED",
                                               "Cors": {"AllowOrigins": ["*"], "AllowMethods": ["GET"]}}
    assert template["Parameters"][template["Resources"][bucket_id]["Properties"]["BucketName"]["Ref"]] == {
        "Type": "String", "Default": bucket, "Description": f"The name of the S3 bucket ({bucket} in the notebook)"}


def test_export_the_layers_beside_the_template(service, tmp_path):
    layer = service.publish_layer_version("shared-helpers", zipped({"python/shared.py": "VALUE = 42\n"}),
                                          compatible_runtimes=["python3.12"], description="helpers")
    service.create_function("layered", "import shared\n" + HANDLER, layers=[layer["LayerVersionArn"]])
    template, properties = exported(service, "layered", tmp_path)
    assert (tmp_path / "layers" / "shared-helpers" / "python" / "shared.py").read_text() == "VALUE = 42\n"
    assert template["Resources"]["SharedHelpersLayer"] == {"Type": "AWS::Serverless::LayerVersion", "Properties": {
        "LayerName": "shared-helpers", "ContentUri": "layers/shared-helpers", "RetentionPolicy": "Delete",
        "Description": "helpers", "CompatibleRuntimes": ["python3.12"]}}
    assert properties["Layers"] == [{"Ref": "SharedHelpersLayer"}]
    assert (tmp_path / "function" / "requirements.txt").read_text() == ""  # the layer gives shared
    assert sorted(p.name for p in tmp_path.iterdir()) == ["function", "layers", "template.yaml"]


@pytest.mark.skipif(SAM is None, reason="the SAM CLI is not on PATH (./dev puts it there)")
def test_sam_build_builds_the_export_without_its_layers_in_the_function(service, tmp_path):
    runtime = f"python3.{sys.version_info.minor}"  # sam build wants this machine to have the runtime's Python
    layer = service.publish_layer_version("shared-helpers", zipped({"python/shared.py": "VALUE = 42\n"}),
                                          compatible_runtimes=[runtime])
    service.create_function("built", "import shared\n" + HANDLER, runtime=runtime, layers=[layer["LayerVersionArn"]])
    export_function(service, "built", tmp_path)
    done = subprocess.run([SAM, "build"], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "SAM_CLI_TELEMETRY": "0"})
    assert done.returncode == 0, done.stdout + done.stderr
    build = tmp_path / ".aws-sam" / "build"
    assert sorted(p.name for p in (build / "Built").iterdir()) == ["lambda_function.py", "requirements.txt"]
    built = yaml.safe_load((build / "template.yaml").read_text())
    content = built["Resources"]["SharedHelpersLayer"]["Properties"]["ContentUri"]
    assert (build / content / "python" / "shared.py").read_text() == "VALUE = 42\n"


def test_a_resource_never_takes_the_functions_logical_id(service, tmp_path):
    _, url, _ = make_queue()
    name = url.rsplit("/", 1)[1] + "-queue"  # orders-1234abcd-queue, as the queue orders-1234abcd is OrdersQueue
    service.create_function(name, HANDLER, environment={"QUEUE_URL": url})
    template, properties = exported(service, name, tmp_path)
    [queue] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"]
    [function] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    assert queue != function and properties["Environment"]["Variables"]["QUEUE_URL"] == {"Ref": queue}


def test_an_arn_the_template_cannot_declare_becomes_a_parameter(service, tmp_path):
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:checkout"
    service.create_function("starter", HANDLER, environment={"STATE_MACHINE": machine})
    template, properties = exported(service, "starter", tmp_path)
    parameter = properties["Environment"]["Variables"]["STATE_MACHINE"]["Ref"]
    declared = template["Parameters"][parameter]
    assert "Default" not in declared and machine in declared["Description"]  # sam deploy --guided asks for it


@pytest.mark.skipif(SAM is None, reason="the SAM CLI is not on PATH (./dev puts it there): exported templates "
                                       "were checked by cfn-lint only, not by sam validate --lint and the translator")
def test_the_checks_refuse_a_template_aws_would_refuse(service, tmp_path):
    _, _, stream = make_stream("clicks")
    service.create_function("reader", HANDLER)
    service.create_event_source_mapping("reader", stream, starting_position="LATEST")
    path = export_function(service, "reader", tmp_path)
    check_template(path)
    template = yaml.safe_load(path.read_text())
    [event] = template["Resources"]["Reader"]["Properties"]["Events"].values()
    del event["Properties"]["StartingPosition"]  # a Kinesis event without it: CloudFormation would refuse it
    path.write_text(yaml.safe_dump(template))
    with pytest.raises(AssertionError, match="refused"):
        check_template(path)


@pytest.mark.parametrize("runtime, code, files", [
    ("nodejs22.x", "export const handler = async () => 1;\n", ["index.mjs"]),
    ("provided.al2023", "#!/bin/bash\necho hi\n", ["bootstrap"]),
])
def test_export_other_runtimes(service, tmp_path, runtime, code, files, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/node")
    service.create_function("other", code, runtime=runtime)
    template, properties = exported(service, "other", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["function", "template.yaml"]
    assert sorted(p.name for p in (tmp_path / "function").iterdir()) == files
    assert properties["Runtime"] == runtime and "Policies" not in properties  # SAM's role writes logs


def test_export_magic(shell, tmp_path):
    shell.run("%%lambda hello\n" + HANDLER)
    out = shell.run(f"%lambda export hello {tmp_path}")
    assert "sam build && sam deploy --guided" in out
    assert (tmp_path / "template.yaml").exists()


@pytest.mark.parametrize("target, words", [("missing", "Function not found"), ("file", "Cannot write the export")])
def test_bad_exports_get_one_sentence(shell, tmp_path, target, words):
    shell.run("%%lambda hello\n" + HANDLER)
    (tmp_path / "taken").write_text("a file, not a folder")
    line = f"%lambda export nosuchfunction {tmp_path}" if target == "missing" else \
        f"%lambda export hello {tmp_path / 'taken'}"
    error, printed = shell.fail(line)
    assert words in printed and "Traceback" not in printed


def test_export_writes_distribution_names_and_the_package_files(service, tmp_path):
    service.create_function("thumbs", "import PIL, yaml, not_installed_anywhere\nimport helpers\n" + HANDLER,
                            kernel_packages=True)
    service.put_function_file("thumbs", "helpers.py", "VALUE = 1\n")
    export_function(service, "thumbs", tmp_path)
    assert (tmp_path / "function" / "helpers.py").read_text() == "VALUE = 1\n"
    assert (tmp_path / "function" / "requirements.txt").read_text().splitlines() == sorted([
        "# not_installed_anywhere: no installed distribution gives it; name the one to install here",
        f"PyYAML=={importlib.metadata.version('PyYAML')}", f"pillow=={importlib.metadata.version('pillow')}"])


def test_export_a_rest_api_with_a_proxy_resource_as_api_events(service, tmp_path):
    name = unique("web")
    service.create_function(name, HANDLER)
    arn = service.get_function(name).arn
    rest_api(arn)
    apigateway = aws.client("apigateway")
    custom = apigateway.create_rest_api(name="custom")["id"]  # a non-proxy integration: SAM has no event for it
    root = apigateway.get_resources(restApiId=custom)["items"][0]["id"]
    apigateway.put_method(restApiId=custom, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=custom, resourceId=root, httpMethod="GET", type="AWS",
                               integrationHttpMethod="POST",
                               uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    template, properties = exported(service, name, tmp_path)
    [api_id] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Api"]
    api = template["Resources"][api_id]["Properties"]
    assert api["StageName"] == "prod" and api["Variables"] == {"table": "orders"}
    assert template["Parameters"][api["Name"]["Ref"]]["Default"] == "shop"
    found = sorted((event["Type"], event["Properties"]["Path"], event["Properties"]["Method"],
                    event["Properties"]["RestApiId"]["Ref"]) for event in properties["Events"].values())
    assert found == [("Api", "/items/{id}", "get", api_id), ("Api", "/{proxy+}", "any", api_id)]


def test_export_an_http_api_made_by_quick_create_on_sams_implicit_api(service, tmp_path):
    name = unique("web")
    service.create_function(name, HANDLER)
    aws.client("apigatewayv2").create_api(Name=unique("quick"), ProtocolType="HTTP",
                                          Target=service.get_function(name).arn)
    template, properties = exported(service, name, tmp_path)
    assert list(properties["Events"].values()) == [{"Type": "HttpApi", "Properties": {}}]
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::HttpApi"]


def test_export_an_http_api_with_its_routes_and_stage(service, tmp_path):
    name = unique("web")
    service.create_function(name, HANDLER)
    apigatewayv2 = aws.client("apigatewayv2")
    api_id = apigatewayv2.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    integration = apigatewayv2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                                  IntegrationUri=service.get_function(name).arn,
                                                  PayloadFormatVersion="1.0")["IntegrationId"]
    for key in ("GET /items/{id}", "ANY /files/{path+}"):
        apigatewayv2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    apigatewayv2.create_stage(ApiId=api_id, StageName="beta", StageVariables={"table": "beta-orders"})
    template, properties = exported(service, name, tmp_path)
    [http_api] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::HttpApi"]
    assert template["Resources"][http_api]["Properties"]["StageName"] == "beta"
    assert template["Resources"][http_api]["Properties"]["StageVariables"] == {"table": "beta-orders"}
    found = sorted((e["Type"], e["Properties"]["Method"], e["Properties"]["Path"], e["Properties"]["ApiId"]["Ref"],
                    e["Properties"]["PayloadFormatVersion"]) for e in properties["Events"].values())
    assert found == [("HttpApi", "ANY", "/files/{path+}", http_api, "1.0"),
                     ("HttpApi", "GET", "/items/{id}", http_api, "1.0")]


def test_export_the_alias_with_provisioned_concurrency_as_auto_publish_alias(service, tmp_path):
    service.create_function("versioned", HANDLER)
    version = service.publish_version("versioned").version
    service.create_alias("versioned", "beta", version)
    service.create_alias("versioned", "live", version)
    _, properties = exported(service, "versioned", tmp_path / "one")
    assert properties["AutoPublishAlias"] == "beta" and "ProvisionedConcurrencyConfig" not in properties
    service.put_provisioned_concurrency_config("versioned", "live", 2)
    _, properties = exported(service, "versioned", tmp_path / "two")
    assert properties["AutoPublishAlias"] == "live"
    assert properties["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 2}
    if SAM:  # SAM publishes a version and points the alias at it
        assert {"AWS::Lambda::Version", "AWS::Lambda::Alias"} <= set(check_template(tmp_path / "two" / "template.yaml")
                                                                     .split())


def test_export_a_state_machine_that_calls_the_function(service, tmp_path):
    name = unique("step")
    service.create_function(name, HANDLER)
    arn = service.get_function(name).arn
    _, queue_url, queue_arn = make_queue()
    send = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                    "Resource": queue_arn}]}
    role = aws.create_role(unique("states"), inline_policies={"send": send})
    definition = {"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": arn, "Next": "Again"},
        "Again": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": arn + ":1", "Payload.$": "$"}, "Next": "Tell"},
        "Tell": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                 "Parameters": {"QueueUrl": queue_url, "MessageBody.$": "$"}, "End": True}}}
    machine = unique("checkout")
    sfn = aws.client("stepfunctions")
    sfn.create_state_machine(name=machine, definition=json.dumps(definition), roleArn=role)
    sfn.create_state_machine(name=unique("elsewhere"), definition=json.dumps(  # another function's: not exported
        {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": arn + "-other", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/no-such-role")
    template, _ = exported(service, name, tmp_path)
    [function] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    [state_machine] = [r["Properties"] for r in template["Resources"].values()
                       if r["Type"] == "AWS::Serverless::StateMachine"]
    assert template["Parameters"][state_machine["Name"]["Ref"]]["Default"] == machine
    states = state_machine["Definition"]["States"]
    substitutions = state_machine["DefinitionSubstitutions"]
    assert substitutions[states["Work"]["Resource"][2:-1]] == {"Fn::GetAtt": [function, "Arn"]}
    assert substitutions[states["Again"]["Parameters"]["FunctionName"][2:-1]] == {"Fn::Sub": f"${{{function}.Arn}}:1"}
    [queue] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"]
    assert substitutions[states["Tell"]["Parameters"]["QueueUrl"][2:-1]] == {"Ref": queue}
    assert states["Again"]["Resource"] == "arn:aws:states:::lambda:invoke"
    assert state_machine["Policies"] == [  # its local role's, and SAM's policy to invoke the function
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage",
                                                 "Resource": {"Fn::GetAtt": [queue, "Arn"]}}]},
        {"LambdaInvokePolicy": {"FunctionName": {"Ref": function}}}]
    assert "123456789012" not in json.dumps(template["Resources"])
