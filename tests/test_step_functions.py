"""Step Functions in the local AWS: Task states that call Lambda run as real lambdanb invokes, with Retry and Catch."""
from __future__ import annotations

import json
import time

from support import unique

from lambdanb import aws

ROLE = "arn:aws:iam::123456789012:role/states-role"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:"


def run(definition: dict, payload: dict) -> tuple[dict, list[dict]]:
    """Create a state machine, start it, wait for its end: describe_execution and get_execution_history."""
    sfn = aws.client("stepfunctions")
    machine = sfn.create_state_machine(name=unique("flow"), definition=json.dumps(definition),
                                       roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload))["executionArn"]
    for _ in range(600):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.1)
    return described, sfn.get_execution_history(executionArn=execution)["events"]


def test_task_states_invoke_lambdanb_functions(service):
    service.create_function("double", "def lambda_handler(event, context):\n    return {'n': event['n'] * 2}\n")
    service.create_function("plus", "def lambda_handler(event, context):\n    return event['n'] + 1\n")
    described, history = run({"StartAt": "Double", "States": {
        "Double": {"Type": "Task", "Resource": FUNCTION + "double", "Next": "Plus"},
        "Plus": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "plus", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": True},
    }}, {"n": 20})
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == 41
    assert service.get_metrics("double")["Invocations"] == 1 and service.get_metrics("plus")["Invocations"] == 1
    kinds = [event["type"] for event in history]
    assert kinds.count("LambdaFunctionSucceeded") == 1 and kinds.count("TaskSucceeded") == 1
    assert kinds[-1] == "ExecutionSucceeded"


def test_retry_and_catch_on_lambdas_error_names(service):
    service.create_function("flaky", '''
calls = 0
class TemporaryError(Exception):
    pass
def lambda_handler(event, context):
    global calls
    calls += 1
    if calls < 3:
        raise TemporaryError(f"try {calls}")
    return {"calls": calls}
''')
    service.create_function("broken", "def lambda_handler(event, context):\n    raise ValueError('no')\n")
    described, _ = run({"StartAt": "Flaky", "States": {
        "Flaky": {"Type": "Task", "Resource": FUNCTION + "flaky", "End": True,
                  "Retry": [{"ErrorEquals": ["TemporaryError"], "IntervalSeconds": 1, "MaxAttempts": 3,
                             "BackoffRate": 1}]}}}, {})
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == {"calls": 3}
    described, history = run({"StartAt": "Broken", "States": {
        "Broken": {"Type": "Task", "Resource": FUNCTION + "broken", "Next": "Done",
                   "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True},
        "Done": {"Type": "Succeed"}}}, {"order": 7})
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["order"] == 7 and output["error"]["Error"] == "ValueError"
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "no"
    assert "LambdaFunctionFailed" in [event["type"] for event in history]


def test_an_uncaught_function_error_fails_the_execution(service):
    service.create_function("broken", "def lambda_handler(event, context):\n    raise KeyError('id')\n")
    described, _ = run({"StartAt": "Broken", "States": {
        "Broken": {"Type": "Task", "Resource": FUNCTION + "broken", "End": True}}}, {})
    assert described["status"] == "FAILED" and described["error"] == "KeyError"
