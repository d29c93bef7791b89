"""The console widgets, driven through the widget API (no browser): state, clicks, background updates."""
from __future__ import annotations

import json
import threading

import pytest
from support import eventually

from lambdanb import events
from lambdanb.errors import LambdaNBError
from lambdanb.widgets.console import Console
from lambdanb.widgets.test_panel import ASYNC_QUEUE

HANDLER = '''
import time
def lambda_handler(event, context):
    time.sleep(event.get("sleep", 0))
    print("got", event.get("key1"))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"statusCode": 200, "body": event.get("key1")}
'''


@pytest.fixture
def console(service):
    service.create_function("hello", HANDLER)
    panel = Console(service, "hello", refresh_seconds=0.1)
    yield panel
    panel.close()


def test_tabs_and_templates(console):
    assert [console.tabs.get_title(i) for i in range(4)] == ["Test", "Logs", "Monitor", "Configuration"]
    assert set(events.TEMPLATES) <= set(console.test.template.options)
    console.test.template.value = "s3-put"
    assert json.loads(console.test.editor.value)["Records"][0]["eventSource"] == "aws:s3"


def test_test_button_runs_in_the_background_and_shows_the_result(console):
    console.test.editor.value = json.dumps({"key1": "value1", "sleep": 1})
    console.test.test.click()
    assert console.test.result.value == ""  # the click returned while the function still sleeps
    assert eventually(lambda: "Execution result: succeeded" in console.test.result.value)
    assert "START RequestId" in console.test.result.value and "REPORT RequestId" in console.test.result.value
    assert "&quot;body&quot;: &quot;value1&quot;" in console.test.result.value


def test_invalid_json_is_refused_with_line_and_column(console):
    console.test.editor.value = '{\n  "key1": "value1",\n  oops\n}'
    console.test.test.click()
    assert "line 3, column 3" in console.test.status.value and "Nothing was sent" in console.test.status.value
    assert console.service.get_logs("hello") == []


def test_saved_test_events(console):
    console.test.editor.value = json.dumps({"key1": "saved"})
    console.test.event_name.value = "mine"
    console.test.save.click()
    assert "saved: mine" in console.test.template.options
    console.test.template.value = "hello-world"
    console.test.template.value = "saved: mine"
    assert json.loads(console.test.editor.value) == {"key1": "saved"}
    assert console.service.list_test_events("hello") == {"mine": {"key1": "saved"}}


def test_async_and_batch_with_progress_and_live_logs_and_monitor(console):
    console.test.editor.value = json.dumps({"key1": "batch"})
    console.test.batch_size.value = 25
    assert console.test.target.value == ASYNC_QUEUE
    console.test.batch.click()
    assert eventually(lambda: console.test.progress.value == 25)
    console.test.invoke_async.click()
    assert eventually(lambda: "Accepted (202)" in console.test.status.value)
    assert console.service.drain(30)
    assert eventually(lambda: console.logs.tail.value.count("got batch") == 26)
    assert eventually(lambda: "Invocations</b> <span style='color: #555'>26" in console.monitor.charts.value)
    assert "Cost estimate" in console.monitor.cost.value


def test_logs_filter_stream_and_errors_apart(console):
    console.service.invoke("hello", {"key1": "alpha"})
    failed = console.service.invoke("hello", {"key1": "beta", "fail": True})
    assert eventually(lambda: "got beta" in console.logs.tail.value)
    assert "Errors (1)" in console.logs.errors.value and "asked to fail" in console.logs.errors.value
    console.logs.filter.value = failed.request_id
    assert "got alpha" not in console.logs.tail.value and "got" not in console.logs.tail.value.replace(
        "got beta", "")
    console.logs.filter.value = "alpha"
    assert "got alpha" in console.logs.tail.value and "got beta" not in console.logs.tail.value
    console.logs.filter.value = ""
    stream = console.logs.stream.options[1]
    console.logs.stream.value = stream
    assert "got alpha" in console.logs.tail.value


def test_logs_tail_stays_bounded(console):
    console.service.create_function("chatty", "def lambda_handler(e, c):\n    for i in range(2000): print('line', i)\n")
    chatty = Console(console.service, "chatty", refresh_seconds=0.1)
    try:
        console.service.invoke("chatty")
        assert eventually(lambda: "line 1999" in chatty.logs.tail.value)
        assert chatty.logs.tail.value.count("\n") < 400
    finally:
        chatty.close()


def test_configuration_view(console):
    console.service.put_function_concurrency("hello", 3)
    assert eventually(lambda: "Reserved concurrency" in console.configuration.view.value
                      and "<code>3</code>" in console.configuration.view.value)
    assert "128 MB" in console.configuration.view.value


def test_several_consoles_and_closing_stops_their_threads(service):
    service.create_function("one", HANDLER)
    service.create_function("two", HANDLER)
    consoles = [Console(service, name, refresh_seconds=0.05) for name in ("one", "two")]
    before = threading.active_count()
    for panel in consoles:
        panel.close()
    assert all(panel.closed and not panel._ticker.is_alive() for panel in consoles)
    assert threading.active_count() <= before - 2
    assert consoles[0].tabs.comm is None  # widgets closed


def test_unknown_function_gets_one_sentence(service):
    with pytest.raises(LambdaNBError, match="Function not found"):
        Console(service, "ghost")


def test_generate_events():
    s3 = events.generate("s3-put", bucket="photos", key="cat photo.jpg")
    assert s3["Records"][0]["s3"]["bucket"]["arn"] == "arn:aws:s3:::photos"
    assert s3["Records"][0]["s3"]["object"]["key"] == "cat+photo.jpg"
    http = events.generate("apigateway-http", method="POST", path="/signup", body={"user": "ada"})
    assert http["routeKey"] == "POST /signup" and json.loads(http["body"]) == {"user": "ada"}
    kinesis = events.generate("kinesis", data={"n": 1})
    assert kinesis["Records"][0]["kinesis"]["data"] == "eyJuIjogMX0="
    with pytest.raises(LambdaNBError, match="no event template 'nope'"):
        events.generate("nope")
    with pytest.raises(LambdaNBError, match="does not take that"):
        events.generate("sqs", colour="red")


def test_console_magic(shell):
    shell.run("%%lambda hello\ndef lambda_handler(event, context):\n    return 1\n")
    shell.run("c = %lambda console hello")
    assert shell.value("type(c).__name__") == "Console"
    shell.run("c.close()")
