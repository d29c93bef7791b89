"""Event source mappings: SQS queues, Kinesis streams and DynamoDB streams polled into batches."""
from __future__ import annotations

import base64
import json
import uuid

import boto3
import pytest
from support import eventually, make_queue, make_stream, make_table, unique

from lambdanb import aws
from lambdanb.endpoint import LambdaEndpoint
from lambdanb.errors import InvalidParameterValueException
from lambdanb.service.event_sources.filters import parse_filter_criteria

RECORDER = '''
import json
def lambda_handler(event, context):
    print(json.dumps(event))
    return None
'''


def batches(service, name):
    return [json.loads(e.message)["Records"] for e in service.get_logs(name) if e.message.startswith('{"Records"')]


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


def test_deterministic_mode_reads_a_queue_with_one_poller(deterministic_service):
    """Five pollers split a backlog into batches that differ from run to run; a checked notebook needs the same
    batches every time, so deterministic mode reads with one."""
    sqs, url, arn = make_queue()
    for n in range(7):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    deterministic_service.create_function("orders", RECORDER)
    mapping = deterministic_service.create_event_source_mapping("orders", arn, batch_size=10)
    assert len(deterministic_service.event_sources._pollers[mapping["UUID"]]) == 1
    assert deterministic_service.drain(60)
    assert [len(batch) for batch in batches(deterministic_service, "orders")] == [7]


def test_sqs_partial_batch_failures_come_back(service):
    sqs, url, arn = make_queue(visibility_timeout=1)
    service.create_function("picky", '''
import json
def lambda_handler(event, context):
    print(json.dumps(event))
    failures = []
    for record in event["Records"]:  # five pollers may bring the retry to another environment: ask the queue
        if record["body"] == "bad" and record["attributes"]["ApproximateReceiveCount"] == "1":
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
''')
    service.create_event_source_mapping("picky", arn, batch_size=10,
                                        function_response_types=["ReportBatchItemFailures"])
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


POISON_HANDLER = '''
import base64, json
def lambda_handler(event, context):
    print(json.dumps(event))
    if any(base64.b64decode(r["kinesis"]["data"]) == b"poison" for r in event["Records"]):
        raise ValueError("poison record")
'''


def test_kinesis_in_order_with_retries_and_on_failure(service):
    kinesis, stream, arn = make_stream("clicks")
    sqs, failures_url, failures_arn = make_queue()
    service.create_function("clicks", POISON_HANDLER)
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
    dynamodb, table, stream_arn = make_table("players", "NEW_AND_OLD_IMAGES")
    service.create_function("players", RECORDER)
    service.create_event_source_mapping("players", stream_arn, starting_position="TRIM_HORIZON")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "ada"}, "score": {"N": "1"}})
    dynamodb.update_item(TableName=table, Key={"id": {"S": "ada"}}, UpdateExpression="SET score = :s",
                         ExpressionAttributeValues={":s": {"N": "2"}})
    assert service.drain(60)
    records = [r for batch in batches(service, "players") for r in batch]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY"]
    assert records[1]["dynamodb"]["OldImage"]["score"] == {"N": "1"}
    assert records[1]["dynamodb"]["NewImage"]["score"] == {"N": "2"}
    assert records[0]["eventSource"] == "aws:dynamodb"
    assert records[0]["eventSourceARN"] == stream_arn


def test_dynamodb_binary_attributes_arrive_as_base64(service):
    dynamodb, table, stream_arn = make_table("salts", "NEW_IMAGE")
    service.create_function("salts", RECORDER)
    service.create_event_source_mapping("salts", stream_arn, starting_position="TRIM_HORIZON")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "ada"}, "salt": {"B": b"\x00\xffsalt"},
                                             "keys": {"BS": [b"\x01", b"\x02"]}})
    assert service.drain(60)
    [record] = [r for batch in batches(service, "salts") for r in batch]
    image = record["dynamodb"]["NewImage"]
    assert base64.b64decode(image["salt"]["B"]) == b"\x00\xffsalt"
    assert sorted(base64.b64decode(value) for value in image["keys"]["BS"]) == [b"\x01", b"\x02"]


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
    [pollers] = service.event_sources._pollers.values()
    assert len(pollers) == 5  # Lambda reads a queue with five batches at once
    service.delete_function("gone")
    for poller in pollers:
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


def test_sqs_filter_criteria_invoke_only_matching_and_delete_the_rest(service):
    sqs, url, arn = make_queue()
    service.create_function("paid", RECORDER)
    pattern = json.dumps({"body": {"status": ["paid"], "total": [{"numeric": [">", 10]}]}})
    mapping = service.create_event_source_mapping("paid", arn, filter_criteria={"Filters": [{"Pattern": pattern}]})
    assert mapping["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    for body in ({"status": "paid", "total": 20}, {"status": "paid", "total": 5}, {"status": "open", "total": 20}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    assert service.drain(60)
    assert [json.loads(r["body"]) for batch in batches(service, "paid") for r in batch] == [
        {"status": "paid", "total": 20}]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert set(attributes.values()) == {"0"}  # the filtered-out messages were deleted, as Lambda does


@pytest.mark.parametrize(("rule", "matches"), [
    ({"body": {"kind": [{"prefix": "ord"}]}}, ["order", "ordinal"]),
    ({"body": {"kind": [{"suffix": "er"}]}}, ["order"]),
    ({"body": {"kind": [{"anything-but": ["order"]}]}}, ["ordinal", "refund"]),
    ({"body": {"total": [{"numeric": [">=", 10, "<", 100]}]}}, ["order", "refund"]),
    ({"body": {"coupon": [{"exists": True}]}}, ["refund"]),
    ({"body": {"coupon": [{"exists": False}]}}, ["order", "ordinal"]),
    ({"messageAttributes": {"channel": {"stringValue": ["web"]}}}, ["ordinal"]),
])
def test_filter_rule_syntax(rule, matches):
    criteria = parse_filter_criteria({"Filters": [{"Pattern": json.dumps(rule)}]}, "CreateEventSourceMapping")
    bodies = {"order": {"kind": "order", "total": 10}, "ordinal": {"kind": "ordinal", "total": 5},
              "refund": {"kind": "refund", "total": 99, "coupon": "X"}}
    channels = {"ordinal": "web"}
    records = {name: {"body": json.dumps(body), "messageAttributes": {
        "channel": {"stringValue": channels.get(name, "mail"), "dataType": "String"}}}
        for name, body in bodies.items()}
    assert [name for name, record in records.items() if criteria.matches("sqs", record)] == matches


def test_bad_filter_patterns_get_one_sentence(service):
    sqs, url, arn = make_queue()
    service.create_function("f", RECORDER)
    for criteria in ({"Filters": [{"Pattern": "{not json"}]}, {"Filters": [{"Pattern": '{"body": "x"}'}]},
                     {"Filters": [{"Pattern": "[1]"}]}, {"Filters": [{"Pattern": "{}"}] * 6}):
        with pytest.raises(InvalidParameterValueException, match="(filter pattern|FilterCriteria)"):
            service.create_event_source_mapping("f", arn, filter_criteria=criteria)
    assert service.list_event_source_mappings("f") == []


def test_kinesis_and_dynamodb_filters_skip_records(service):
    kinesis, stream, arn = make_stream("temperatures")
    service.create_function("hot", RECORDER)
    for reading in ({"celsius": 41}, {"celsius": 12}, {"celsius": 38}):
        kinesis.put_record(StreamName=stream, Data=json.dumps(reading).encode(), PartitionKey="one")
    kinesis.put_record(StreamName=stream, Data=b"\x00\xffbinary", PartitionKey="one")
    service.create_event_source_mapping("hot", arn, starting_position="TRIM_HORIZON", filter_criteria={
        "Filters": [{"Pattern": json.dumps({"data": {"celsius": [{"numeric": [">", 35]}]}})}]})

    dynamodb, table, stream_arn = make_table("players", "NEW_AND_OLD_IMAGES")
    service.create_function("removed", RECORDER)
    service.create_event_source_mapping("removed", stream_arn, starting_position="TRIM_HORIZON",
                                        filter_criteria={"Filters": [{"Pattern": json.dumps(
                                            {"eventName": ["REMOVE"], "dynamodb": {"Keys": {"id": {"S": ["ada"]}}}})}]})
    for player in ("ada", "bob"):
        dynamodb.put_item(TableName=table, Item={"id": {"S": player}})
        dynamodb.delete_item(TableName=table, Key={"id": {"S": player}})
    assert service.drain(60)
    hot = [json.loads(base64.b64decode(r["kinesis"]["data"])) for b in batches(service, "hot") for r in b]
    assert hot == [{"celsius": 41}, {"celsius": 38}]
    removed = [r for batch in batches(service, "removed") for r in batch]
    assert [(r["eventName"], r["dynamodb"]["Keys"]) for r in removed] == [("REMOVE", {"id": {"S": "ada"}})]


def test_stream_records_as_lambda_writes_them(service):
    kinesis, stream, arn = make_stream("clicks")
    role = aws.create_role(unique("reader"), ["AWSLambdaBasicExecutionRole"])
    service.create_function("withrole", RECORDER, role=role)
    service.create_function("norole", RECORDER)
    kinesis.put_record(StreamName=stream, Data=b"x", PartitionKey="one")
    for name in ("withrole", "norole"):
        service.create_event_source_mapping(name, arn, starting_position="TRIM_HORIZON")
    dynamodb, table, stream_arn = make_table("scores", "NEW_IMAGE")
    service.create_function("scores", RECORDER)
    service.create_event_source_mapping("scores", stream_arn, starting_position="TRIM_HORIZON")
    dynamodb.put_item(TableName=table, Item={"id": {"S": "ada"}})
    assert service.drain(60)
    assert batches(service, "withrole")[0][0]["invokeIdentityArn"] == role
    assert batches(service, "norole")[0][0]["invokeIdentityArn"] == "arn:aws:iam::123456789012:role/lambdanb-default"
    (record,) = batches(service, "scores")[0]
    assert record["eventVersion"] == "1.1"
    change = record["dynamodb"]
    assert isinstance(change["ApproximateCreationDateTime"], int)
    assert change["StreamViewType"] == "NEW_IMAGE" and change["SizeBytes"] > 0


def test_a_batch_retried_for_ever_backs_off_and_drain_ends(service):
    kinesis, stream, arn = make_stream("poison")
    service.create_function("fails", '''
def lambda_handler(event, context):
    raise ValueError("never")
''')
    kinesis.put_record(StreamName=stream, Data=b"poison", PartitionKey="one")
    mapping = service.create_event_source_mapping("fails", arn, starting_position="TRIM_HORIZON")
    assert mapping["MaximumRetryAttempts"] == -1
    assert service.drain(60)  # the poller waits to retry: that counts as idle
    [poller] = service.event_sources._pollers[mapping["UUID"]]  # a stream shard is read by one poller
    assert poller.backing_off
    assert service.get_metrics("fails")["Invocations"] <= 3  # no hot loop: the next try is a second or more away
    service.update_event_source_mapping(mapping["UUID"], enabled=False)
    for _ in range(100):  # disabling interrupts the wait
        if not poller.backing_off:
            break
        poller.stopped.wait(0.1)
    assert not poller.backing_off


def test_mappings_through_boto3(service):
    serving = LambdaEndpoint(service)
    try:
        client = boto3.client("lambda", endpoint_url=serving.url, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
        sqs, url, arn = make_queue()
        service.create_function("viaboto", RECORDER)
        pattern = json.dumps({"body": {"kind": ["a"]}})
        created = client.create_event_source_mapping(FunctionName="viaboto", EventSourceArn=arn, BatchSize=3,
                                                     FilterCriteria={"Filters": [{"Pattern": pattern}]})
        got = client.get_event_source_mapping(UUID=created["UUID"])
        assert got["BatchSize"] == 3 and got["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
        updated = client.update_event_source_mapping(UUID=created["UUID"], FilterCriteria={"Filters": []})
        assert "FilterCriteria" not in updated
        with pytest.raises(client.exceptions.InvalidParameterValueException):
            client.update_event_source_mapping(UUID=created["UUID"], FilterCriteria={"Filters": [{"Pattern": "{"}]})
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_event_source_mapping(UUID=str(uuid.uuid4()))
    finally:
        serving.stop()


def test_stream_records_older_than_the_maximum_age_are_skipped_to_the_on_failure_destination(service):
    """A record that always fails is retried (1, 2, 4 ... s apart) until it is older than MaximumRecordAgeInSeconds
    (60 s at the least, as on AWS): then it is skipped, described to the OnFailure destination, and the shard
    moves on."""
    kinesis, stream, arn = make_stream("clicks")
    sqs, failures_url, failures_arn = make_queue()
    service.create_function("clicks", POISON_HANDLER)
    lambda_client = aws.client("lambda")
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException, match="maximumRecordAgeInSeconds"):
        lambda_client.create_event_source_mapping(FunctionName="clicks", EventSourceArn=arn,
                                                  StartingPosition="TRIM_HORIZON", MaximumRecordAgeInSeconds=30)
    kinesis.put_record(StreamName=stream, Data=b"poison", PartitionKey="one")
    mapping = lambda_client.create_event_source_mapping(
        FunctionName="clicks", EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=1,
        MaximumRecordAgeInSeconds=60, DestinationConfig={"OnFailure": {"Destination": failures_arn}})
    assert lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["MaximumRecordAgeInSeconds"] == 60
    messages: list = []
    assert eventually(lambda: messages.extend(sqs.receive_message(QueueUrl=failures_url, WaitTimeSeconds=1)
                                              .get("Messages", [])) or messages, 150)
    failure = json.loads(messages[0]["Body"])
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert failure["KinesisBatchInfo"]["batchSize"] == 1 and failure["KinesisBatchInfo"]["streamArn"] == arn
    kinesis.put_record(StreamName=stream, Data=b"fine", PartitionKey="one")  # the shard has moved on
    assert eventually(lambda: any(base64.b64decode(r["kinesis"]["data"]) == b"fine"
                                  for batch in batches(service, "clicks") for r in batch), 30)
    seen = [base64.b64decode(batch[0]["kinesis"]["data"]) for batch in batches(service, "clicks")]
    assert seen[-1] == b"fine" and set(seen[:-1]) == {b"poison"} and len(seen) < 15  # backed off, not hot-looped
