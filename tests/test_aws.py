"""The local AWS (moto's server on loopback), roles with IAM enforcement, and SQS destinations and DLQs."""
from __future__ import annotations

import json
import threading

import pytest
from support import unique

from lambdanb import aws
from lambdanb.errors import InvalidParameterValueException
from lambdanb.service.lambda_service import LambdaService as Service

READ_ONLY = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
S3_HANDLER = '''
import boto3
s3 = boto3.client("s3")
def lambda_handler(event, context):
    body = s3.get_object(Bucket=event["bucket"], Key="note.txt")["Body"].read().decode()
    try:
        s3.put_object(Bucket=event["bucket"], Key="copy.txt", Body=body.encode())
        written = "written"
    except Exception as error:
        written = str(error)
    return {"read": body, "write": written}
'''


@pytest.fixture
def bucket():
    name = unique("notes")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="note.txt", Body=b"hello from S3")
    return name


def test_server_listens_on_loopback_and_enforces_iam():
    assert aws.endpoint().startswith("http://127.0.0.1:")
    import boto3
    stranger = boto3.client("s3", endpoint_url=aws.endpoint(), region_name="us-east-1",
                            aws_access_key_id="stranger", aws_secret_access_key="stranger")
    with pytest.raises(Exception, match="InvalidAccessKeyId"):
        stranger.list_buckets()


def test_role_allows_what_its_policy_says_and_nothing_more(service, bucket):
    role = unique("reader")
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"], {"read": READ_ONLY})
    service.create_function("reader", S3_HANDLER, role=role, memory_size=256)
    r = service.invoke("reader", {"bucket": bucket})
    assert r.payload["read"] == "hello from S3"
    assert "AccessDenied" in r.payload["write"]
    aws.client("iam").put_role_policy(RoleName=role, PolicyName="write", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}))
    assert service.invoke("reader", {"bucket": bucket}).payload["write"] == "written"


def test_role_credentials_are_the_only_credentials(service, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "KERNEL-KEY")
    role = unique("plain")
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"])
    service.create_function("who", "import os, boto3\ndef lambda_handler(e, c):\n"
                                   "    return [os.environ['AWS_ACCESS_KEY_ID'], 'AWS_SESSION_TOKEN' in os.environ,"
                                   " boto3.client('sts').get_caller_identity()['Arn']]\n", role=role, memory_size=256)
    key, has_token, arn = service.invoke("who").payload
    assert key != "KERNEL-KEY" and has_token
    assert f":assumed-role/{role}/" in arn


def test_a_role_made_with_boto3_as_on_aws_is_assumed_by_lambda(service):
    # The trust policy AWS's own guides write: Lambda as the only principal, no AWS principal at all.
    iam, role = aws.client("iam"), unique("console")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=aws.BASIC_EXECUTION_ROLE_POLICY)
    service.create_function("trusted", "import boto3\ndef lambda_handler(e, c):\n"
                                       "    return boto3.client('sts').get_caller_identity()['Arn']\n",
                            role=arn, memory_size=256)
    assert f":assumed-role/{role}/" in service.invoke("trusted").payload


def test_a_role_lambda_may_not_assume_is_refused_as_on_aws(service):
    iam, role = aws.client("iam"), unique("ec2only")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    with pytest.raises(InvalidParameterValueException, match="cannot be assumed by Lambda"):
        service.create_function("untrusted", "def lambda_handler(e, c):\n    return 1\n", role=role)


def test_a_role_without_log_permissions_delivers_no_logs(shell):
    role = unique("silent")
    aws.create_role(role, [], {"read": READ_ONLY})
    out = shell.run(f"%%lambda quiet --role {role}\ndef lambda_handler(e, c):\n    print('unseen')\n    return 1\n")
    assert "its logs are not delivered to CloudWatch Logs" in out
    r = shell.value("lambdanb.invoke('quiet')")
    assert "unseen" in r.logs  # the caller's tail still shows them, as with LogType=Tail
    logs = shell.run("%lambda logs quiet")
    assert "unseen" not in logs and "not delivered" in logs


def test_role_magic(shell):
    role = unique("magic")
    out = shell.run(f"%lambda role create {role} --policy AWSLambdaBasicExecutionRole")
    assert f"Created role arn:aws:iam::123456789012:role/{role}" in out
    attached = aws.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"]
    error, printed = shell.fail("%%lambda f --role no-such-role\ndef lambda_handler(e, c):\n    return 1\n")
    assert "There is no role named no-such-role" in printed


def test_sqs_destination_and_dead_letter_queue():
    service = Service(async_retry_delays=(0.01, 0.01))
    try:
        sqs = aws.client("sqs")
        destination = sqs.create_queue(QueueName=unique("failures"))["QueueUrl"]
        dlq = sqs.create_queue(QueueName=unique("dlq"))["QueueUrl"]
        arn = {url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
               for url in (destination, dlq)}
        failing = "def lambda_handler(e, c):\n    raise RuntimeError('always')\n"
        service.create_function("to-queue", failing)
        service.put_function_event_invoke_config("to-queue", destination_config={
            "OnFailure": {"Destination": arn[destination]}})
        service.create_function("to-dlq", failing, dead_letter_config={"TargetArn": arn[dlq]})
        first = service.invoke("to-queue", {"k": 1}, invocation_type="Event")
        second = service.invoke("to-dlq", {"k": 2}, invocation_type="Event")
        assert service.drain(30)
        (record,) = sqs.receive_message(QueueUrl=destination, WaitTimeSeconds=1)["Messages"]
        body = json.loads(record["Body"])
        assert body["requestContext"]["requestId"] == first.request_id
        assert body["requestContext"]["condition"] == "RetriesExhausted"
        (message,) = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1, MessageAttributeNames=["All"])["Messages"]
        assert json.loads(message["Body"]) == {"k": 2}
        attributes = message["MessageAttributes"]
        assert attributes["RequestID"]["StringValue"] == second.request_id
        assert attributes["ErrorMessage"]["StringValue"] == "always"
        assert service.async_outcomes("to-queue").dropped == 0 and service.async_outcomes("to-dlq").dropped == 0
    finally:
        service.close()


def test_credentials_are_cached_per_role():
    role = aws.create_role(unique("cached"), ["AWSLambdaBasicExecutionRole"])
    first = aws.local.credentials(role)
    assert aws.local.credentials(role) is first  # STS would have issued a new key
    assert first["AWS_ACCESS_KEY_ID"].startswith("ASIA") and first["AWS_SESSION_TOKEN"]


def test_a_slow_sts_call_holds_up_no_other_role(monkeypatch):
    ready = aws.create_role(unique("ready"), ["AWSLambdaBasicExecutionRole"])
    slow = aws.create_role(unique("slow"), ["AWSLambdaBasicExecutionRole"])
    cached = aws.local.credentials(ready)
    in_sts, release = threading.Event(), threading.Event()
    ask = aws.local._read_kernel_only

    def hold(path, body=None):
        if body == slow.encode():
            in_sts.set()
            release.wait(30)
        return ask(path, body)

    monkeypatch.setattr(aws.local, "_read_kernel_only", hold)
    try:
        waiting = threading.Thread(target=aws.local.credentials, args=(slow,), daemon=True)
        waiting.start()
        assert in_sts.wait(30)
        answers: list[dict] = []
        other = threading.Thread(target=lambda: answers.append(aws.local.credentials(ready)), daemon=True)
        other.start()
        other.join(10)
        assert answers == [cached], "a cached role waited for another role's STS call"
    finally:
        release.set()
    waiting.join(30)
    assert aws.local.credentials(slow)["AWS_ACCESS_KEY_ID"].startswith("ASIA")


def test_a_dynamodb_role_scoped_to_one_table_uses_that_table_and_no_other(service):
    dynamodb = aws.client("dynamodb")
    mine, other = unique("orders"), unique("payroll")
    for table in (mine, other):
        dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
    role = unique("writer")
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"], {"write": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:BatchWriteItem"],
         "Resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{mine}"}]}})
    service.create_function("writer", '''
import boto3
dynamodb = boto3.client("dynamodb")
def lambda_handler(event, context):
    outcome = {}
    for table in event["tables"]:
        try:
            dynamodb.put_item(TableName=table, Item={"id": {"S": "1"}})
            dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"id": {"S": "2"}}}}]})
            outcome[table] = "written"
        except Exception as error:
            outcome[table] = str(error)
    return outcome
''', role=role, memory_size=256)
    outcome = service.invoke("writer", {"tables": [mine, other]}).payload
    assert outcome[mine] == "written"
    assert "AccessDenied" in outcome[other] and "dynamodb:PutItem" in outcome[other]
