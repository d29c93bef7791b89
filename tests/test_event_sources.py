"""Event source mappings: SQS queues, Kinesis streams and DynamoDB streams polled into batches."""
from __future__ import annotations

import base64
import json
import uuid

import pytest

from lambdanb import aws
from lambdanb.errors import InvalidParameterValueException

RECORDER = '''
import json
def lambda_handler(event, context):
    print(json.dumps(event))
    return None
'''


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def batches(service, name):
    return [json.loads(e.message)["Records"] for e in service.get_logs(name) if e.message.startswith('{"Records"')]


def make_queue(visibility_timeout=30):
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=unique("orders"),
                           Attributes={"VisibilityTimeout": str(visibility_timeout)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def test_sqs_batches_in_lambdas_record_shape(service):
    sqs, url, arn = make_queue()
    service.create_function("orders", RECORDER)
    mapping = service.create_event_source_mapping("orders", arn, batch_size=5)
    assert mapping["State"] == "Enabled" and mapping["BatchSize"] == 5
    sqs.send_message(QueueUrl=url, MessageBody="first", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "test"}})
    for n in range(6):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    assert service.drain(60)
    received = [r for batch in batches(service, "orders") for r in batch]
    assert sorted(r["body"] for r in received) == sorted(["first"] + [f"m{n}" for n in range(6)])
    assert all(len(batch) <= 5 for batch in batches(service, "orders"))
    first = next(r for r in received if r["body"] == "first")
    assert set(first) == {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                          "md5OfMessageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"}
    assert first["eventSource"] == "aws:sqs" and first["eventSourceARN"] == arn
    assert first["messageAttributes"]["kind"] == {"stringValue": "test", "stringListValues": [],
                                                  "binaryListValues": [], "dataType": "String"}
    assert {"ApproximateReceiveCount", "SentTimestamp", "SenderId"} <= set(first["attributes"])
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_sqs_partial_batch_failures_come_back(service):
    sqs, url, arn = make_queue(visibility_timeout=1)
    service.create_function("picky", '''
import json
seen = set()
def lambda_handler(event, context):
    print(json.dumps(event))
    failures = []
    for record in event["Records"]:
        if record["body"] == "bad" and record["messageId"] not in seen:
            seen.add(record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
''')
    service.create_event_source_mapping("picky", arn, batch_size=10, function_response_types=["ReportBatchItemFailures"])
    for body in ("good", "bad", "good2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert service.drain(60)
    bodies = [r["body"] for batch in batches(service, "picky") for r in batch]
    assert sorted(bodies) == ["bad", "bad", "good", "good2"]  # only the failed message came back


def test_disable_enable_delete(service):
    sqs, url, arn = make_queue()
    service.create_function("toggled", RECORDER)
    mapping = service.create_event_source_mapping("toggled", arn, enabled=False)
    sqs.send_message(QueueUrl=url, MessageBody="waiting")
    assert service.drain(10)  # the disabled poller has looked at least twice meanwhile, and read nothing
    assert batches(service, "toggled") == []
    waiting = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert waiting["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert service.update_event_source_mapping(mapping["UUID"], enabled=True)["State"] == "Enabled"
    assert service.drain(60)
    assert [r["body"] for r in batches(service, "toggled")[0]] == ["waiting"]
    assert service.delete_event_source_mapping(mapping["UUID"])["State"] == "Deleting"
    assert service.list_event_source_mappings("toggled") == []


def test_kinesis_in_order_with_retries_and_on_failure(service):
    kinesis = aws.client("kinesis")
    stream = unique("clicks")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    arn = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["StreamARN"]
    sqs, failures_url, failures_arn = make_queue()
    service.create_function("clicks", '''
import base64, json
def lambda_handler(event, context):
    print(json.dumps(event))
    if any(base64.b64decode(r["kinesis"]["data"]) == b"poison" for r in event["Records"]):
        raise ValueError("poison record")
''')
    for data in (b"a", b"b", b"poison", b"c", b"d"):  # already there: TRIM_HORIZON reads from the start
        kinesis.put_record(StreamName=stream, Data=data, PartitionKey="one")
    service.create_event_source_mapping("clicks", arn, starting_position="TRIM_HORIZON", batch_size=2,
                                        maximum_retry_attempts=1,
                                        destination_config={"OnFailure": {"Destination": failures_arn}})
    assert service.drain(60)
    seen = [[base64.b64decode(r["kinesis"]["data"]).decode() for r in batch] for batch in batches(service, "clicks")]
    assert seen[0] == ["a", "b"]
    assert seen.count(["poison", "c"]) == 2  # first try and one retry
    assert seen[-1] == ["d"]
    record = batches(service, "clicks")[0][0]
    assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
    assert record["eventID"].startswith("shardId-000000000000:")
    (message,) = sqs.receive_message(QueueUrl=failures_url, WaitTimeSeconds=1)["Messages"]
    failure = json.loads(message["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["KinesisBatchInfo"]["batchSize"] == 2 and failure["KinesisBatchInfo"]["streamArn"] == arn
    ages = service.get_metric_statistics("clicks", "IteratorAge", "SampleCount")
    assert sum(point["SampleCount"] for point in ages) == len(seen)  # one age per batch invoked
    assert service.get_metrics("clicks")["IteratorAge Maximum"] > 0  # the records were older than the batch


def test_dynamodb_stream_records(service):
    dynamodb = aws.client("dynamodb")
    table = unique("players")
    description = dynamodb.create_table(
        TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    service.create_function("players", RECORDER)
    service.create_event_source_mapping("players", description["LatestStreamArn"], starting_position="TRIM_HORIZON")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "ada"}, "score": {"N": "1"}})
    dynamodb.update_item(TableName=table, Key={"id": {"S": "ada"}}, UpdateExpression="SET score = :s",
                         ExpressionAttributeValues={":s": {"N": "2"}})
    assert service.drain(60)
    records = [r for batch in batches(service, "players") for r in batch]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"]["score"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["score"] == {"N": "2"}
    assert records[0]["eventSource"] == "aws:dynamodb"
    assert records[0]["eventSourceARN"] == description["LatestStreamArn"]


def test_bad_mappings_get_one_sentence(service):
    service.create_function("f", RECORDER)
    with pytest.raises(InvalidParameterValueException, match="lambdanb polls SQS queues"):
        service.create_event_source_mapping("f", "arn:aws:sns:us-east-1:123456789012:topic")
    with pytest.raises(InvalidParameterValueException, match="StartingPosition"):
        service.create_event_source_mapping("f", "arn:aws:kinesis:us-east-1:123456789012:stream/x")


def test_deleting_the_function_stops_its_pollers(service):
    sqs, url, arn = make_queue()
    service.create_function("gone", RECORDER)
    service.create_event_source_mapping("gone", arn)
    poller = next(iter(service.event_sources._pollers.values()))
    service.delete_function("gone")
    poller.thread.join(5)
    assert not poller.thread.is_alive()


def test_s3_put_triggers_an_async_invoke_with_the_s3_event(service):
    s3 = aws.client("s3")
    bucket = unique("photos")
    s3.create_bucket(Bucket=bucket)
    service.create_function("thumbnail", RECORDER)
    service.add_s3_trigger("thumbnail", bucket, suffix=".jpg")
    s3.put_object(Bucket=bucket, Key="cat photo.jpg", Body=b"jpeg")
    s3.put_object(Bucket=bucket, Key="notes.txt", Body=b"text")
    assert service.drain(60)
    (records,) = batches(service, "thumbnail")
    (record,) = records
    assert record["eventSource"] == "aws:s3" and record["eventVersion"] == "2.1"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == bucket and record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert record["s3"]["object"]["key"] == "cat+photo.jpg" and record["s3"]["object"]["size"] == 4
    assert {"userIdentity", "requestParameters", "responseElements"} <= set(record)
    assert service.async_outcomes("thumbnail").succeeded == 1
