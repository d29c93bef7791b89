"""SQS of the local AWS answers as SQS does after lambdanb's server made moto's receive and delete fast: deletes by
the current or an earlier receipt handle, twice, or with a handle SQS never gave; delays, visibility and counts."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from support import eventually, make_queue


def test_delete_by_current_and_earlier_receipt_handles():
    sqs, url, _ = make_queue(visibility_timeout=0)
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]  # visible at once: new handles
    assert sorted(m["Body"] for m in first) == sorted(m["Body"] for m in again) == ["a", "b", "c"]
    by_body = {m["Body"]: m["ReceiptHandle"] for m in first}
    sqs.delete_message(QueueUrl=url, ReceiptHandle=by_body["b"])  # an earlier handle still deletes
    sqs.delete_message(QueueUrl=url, ReceiptHandle=by_body["b"])  # and deleting twice is allowed
    result = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": "0", "ReceiptHandle": next(m["ReceiptHandle"] for m in again if m["Body"] == "a")},
        {"Id": "1", "ReceiptHandle": "never-given"}])
    assert [s["Id"] for s in result["Successful"]] == ["0"]
    assert [(f["Id"], f["Code"]) for f in result["Failed"]] == [("1", "ReceiptHandleIsInvalid")]
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in left] == ["c"]
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="never-given")


def test_delays_visibility_and_counts():
    sqs, url, _ = make_queue(visibility_timeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="now")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=3)
    [now] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert now["Body"] == "now"

    def counts() -> dict[str, str]:
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    first = counts()
    assert (first["ApproximateNumberOfMessagesNotVisible"], first["ApproximateNumberOfMessagesDelayed"]) == ("1", "1")
    assert eventually(lambda: counts()["ApproximateNumberOfMessages"] == "1")  # the delay is over
    [later] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert later["Body"] == "later"
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []  # both in flight
