"""The console widgets, driven through the widget API (no browser): state, clicks, background updates."""
from __future__ import annotations

import json
import re
import threading

import pytest
from support import eventually, make_stream, zipped

import lambdanb
from lambdanb import events
from lambdanb.errors import LambdaNBError, TooManyRequestsException
from lambdanb.service.lambda_service import LambdaService
from lambdanb.widgets.config_panel import ConfigPanel
from lambdanb.widgets.console import Console
from lambdanb.widgets.environments_panel import NO_DETAILS
from lambdanb.widgets.lanes import Timeline
from lambdanb.widgets.logs_panel import LEVELS
from lambdanb.widgets.monitor_panel import LIVE, RESOLUTIONS, usd
from lambdanb.widgets.test_panel import ASYNC_QUEUE
from lambdanb.widgets.timeline import Picture

HANDLER = '''
import time
def lambda_handler(event, context):
    time.sleep(event.get("sleep", 0))
    print("got", event.get("key1"))
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"statusCode": 200, "body": event.get("key1")}
'''


SLEEPER = "import time\ndef lambda_handler(event, context):\n    time.sleep(event.get('sleep', 0.3))\n    return 1\n"
SINK_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sink"


@pytest.fixture
def fast():
    """A service whose async retries and throttle back-off take a fraction of a second."""
    lambda_service = LambdaService(async_retry_delays=(0.3, 0.3), throttle_retry_delays=(0.2, 0.5))
    yield lambda_service
    lambda_service.close()


def svg_classes(html: str, name: str) -> int:
    return len(re.findall(rf"class='{name}[' ]", html))


def drawn(html: str, name: str) -> int:
    """How many things the marks of a kind stand for (close ones are drawn as one mark with their number)."""
    return sum(int(n) for n in re.findall(rf"class='{name}' data-count='(\d+)'", html))


@pytest.fixture
def console(service):
    service.create_function("hello", HANDLER)
    panel = Console(service, "hello", refresh_seconds=0.1)
    yield panel
    panel.close()


def test_tabs_and_templates(console):
    assert [console.tabs.get_title(i) for i in range(6)] == ["Test", "Environments", "Async queue", "Logs",
                                                             "Monitor", "Configuration"]
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
    # a long REPORT line wraps between its fields, never inside one
    assert re.search(r"<span style='white-space: nowrap'>Billed Duration: \d+ ms</span>", console.test.result.value)


def test_invalid_json_is_refused_with_line_and_column_and_the_last_result_goes(console):
    console.test.editor.value = json.dumps({"key1": "first"})
    console.test.test.click()
    assert eventually(lambda: "Execution result: succeeded" in console.test.result.value)
    console.test.editor.value = '{\n  "key1": "value1",\n  oops\n}'
    console.test.test.click()
    assert "line 3, column 3" in console.test.status.value and "Nothing was sent" in console.test.status.value
    assert console.test.result.value == ""
    assert len(console.service.get_logs("hello", pattern="START RequestId")) == 1


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
    assert eventually(lambda: console.logs.html().count("got batch") == 26)
    assert eventually(lambda: "last 2 min: 26 invocations" in console.monitor.charts.value)
    assert eventually(lambda: ">26<" in console.queue.counts.value)  # received
    assert "Cost estimate" in console.monitor.cost.value


def test_logs_filter_by_text_request_level_and_stream_with_errors_marked(console):
    console.service.invoke("hello", {"key1": "alpha"})
    failed = console.service.invoke("hello", {"key1": "beta", "fail": True})
    assert eventually(lambda: "got beta" in console.logs.html())
    assert "Errors (1)" in console.logs.errors.value
    error_rows = re.findall(r"<tr class='log-row level-error'.*?</tr>", console.logs.html(), re.S)
    assert len(error_rows) == 1 and "asked to fail" in error_rows[0]
    assert failed.request_id in console.logs.request.options
    console.logs.request.value = failed.request_id
    assert "got beta" in console.logs.html() and "got alpha" not in console.logs.html()
    console.logs.request.value = ""
    console.logs.filter.value = "alpha"
    assert "got alpha" in console.logs.html() and "got beta" not in console.logs.html()
    console.logs.filter.value = ""
    console.logs.level.value = LEVELS[1]  # errors only
    assert "asked to fail" in console.logs.html() and "got alpha" not in console.logs.html()
    console.logs.level.value = LEVELS[0]
    stream = console.logs.stream.options[1]
    console.logs.stream.value = stream
    assert "got alpha" in console.logs.html()


def test_logs_group_each_invocation_newest_at_the_bottom_with_report_fields(console):
    first = console.service.invoke("hello", {"key1": "one"})
    second = console.service.invoke("hello", {"key1": "two"})
    assert eventually(lambda: "got two" in console.logs.html())
    tail = console.logs.html()
    groups = re.findall(r"<details class='log-group'.*?</details>", tail, re.S)
    assert len(groups) == 2
    assert first.request_id in groups[0] and second.request_id in groups[1]  # oldest first, newest at the bottom
    assert "START RequestId" in groups[1] and "got two" in groups[1] and "END RequestId" in groups[1]
    assert "<span style='color:#5f6b7a'>Billed Duration</span>" in groups[1]  # REPORT as its fields
    assert console.logs.tail.layout.flex_flow == "column-reverse"  # the view follows the newest events
    assert console.logs.tail.layout.overflow == "auto"


def test_logs_groups_already_drawn_are_left_alone_as_new_invocations_arrive(console):
    """The browser keeps what the reader folded or opened in a group as long as its widget is not drawn anew."""
    for n in range(4):
        console.service.invoke("hello", {"key1": f"call {n}"})
    assert eventually(lambda: "got call 3" in console.logs.html())
    before = console.logs.groups.children
    folded = [group.value for group in before]
    assert "<details class='log-group' open" not in folded[1]  # older than the latest three: folded
    for n in range(4, 6):
        console.service.invoke("hello", {"key1": f"call {n}"})
    assert eventually(lambda: "got call 5" in console.logs.html())
    after = console.logs.groups.children
    assert after[:len(before)] == before and len(after) == len(before) + 2  # the same widgets, new ones after them
    assert after[1].value == folded[1]  # not drawn anew: its view in the browser stays as the reader left it
    assert "<details class='log-group' open" in after[-1].value


def test_logs_tail_stays_bounded(console):
    console.service.create_function("chatty", "def lambda_handler(e, c):\n    for i in range(2000): print('line', i)\n")
    chatty = Console(console.service, "chatty", refresh_seconds=0.1)
    try:
        console.service.invoke("chatty")
        assert eventually(lambda: "line 1999" in chatty.logs.html())
        assert chatty.logs.html().count("<tr") == 300
    finally:
        chatty.close()


def test_configuration_view(console):
    console.service.put_function_concurrency("hello", 3)
    assert eventually(lambda: "Reserved concurrency" in console.configuration.view.value
                      and "<code>3</code>" in console.configuration.view.value)
    assert "128 MB" in console.configuration.view.value


def test_configuration_shows_the_package_its_layers_and_requirements(service):
    layer = service.publish_layer_version("helpers", zipped({"python/shared.py": "VALUE = 1\n"}))
    service.create_function("packaged", zip_file=zipped({"lambda_function.py": HANDLER, "data/prices.json": "{}"}),
                            layers=[layer["LayerVersionArn"]])
    config = service.get_function("packaged")
    panel = ConfigPanel(service, "packaged")
    rows = dict(panel.package_rows())
    assert rows["Package"] == f"{config.code_size} bytes zipped, CodeSha256 {config.code_sha256}"
    assert rows["Files (2)"] == f"data/prices.json (2 bytes), lambda_function.py ({len(HANDLER.encode())} bytes)"
    assert rows["Layers"].startswith(layer["LayerVersionArn"] + " (")
    assert rows["Requirements"] == "none"
    assert "<h4>Code</h4>" in panel.view.value and config.code_sha256 in panel.view.value


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


def test_every_invoke_throttle_init_and_retirement_is_on_the_timeline(service):
    service.create_function("lane", SLEEPER)
    first = service.invoke("lane", {"sleep": 0})
    second = service.invoke("lane", {"sleep": 0})
    service.put_function_concurrency("lane", 0)
    with pytest.raises(TooManyRequestsException):
        service.invoke("lane", {"sleep": 0})
    service.delete_function_concurrency("lane")
    service.update_function("lane", SLEEPER + "# changed\n")
    kinds = [(e.kind, e.request_id) for e in service.timeline("lane")]
    assert kinds[:3] == [("init", first.request_id), ("invoke", first.request_id), ("invoke", second.request_id)]
    assert [k for k, _ in kinds[3:]] == ["throttle", "retire"]
    invoke = service.timeline("lane")[1]
    assert invoke.lane and invoke.invocation_type == "RequestResponse" and invoke.source == "api"
    assert invoke.report.startswith(f"REPORT RequestId: {first.request_id}") and invoke.start <= invoke.end
    assert service.timeline("lane")[-1].outcome == "code changed"
    with pytest.raises(LambdaNBError, match="Function not found"):
        service.timeline("ghost")


def test_async_attempts_retries_and_the_end_are_on_the_timeline(fast):
    fast.create_function("sink", "def lambda_handler(event, context):\n    return 1\n")
    fast.create_function("doomed", "def lambda_handler(event, context):\n    raise ValueError('no')\n")
    fast.put_function_event_invoke_config("doomed", maximum_retry_attempts=1,
                                          destination_config={"OnFailure": {"Destination": SINK_ARN}})
    accepted = fast.invoke("doomed", {}, invocation_type="Event")
    assert fast.drain(30)
    steps = [(e.kind, e.attempt) for e in fast.timeline("doomed") if e.kind != "init"]
    assert steps == [("queued", 0), ("invoke", 1), ("retry", 1), ("invoke", 2), ("ended", 2)]
    ended = fast.timeline("doomed")[-1]
    assert ended.request_id == accepted.request_id and ended.outcome == "failed (RetriesExhausted), sent to on-failure"
    status = fast.async_queue_status("doomed")
    assert (status.outcomes.received, status.outcomes.failed, status.to_on_failure, status.outcomes.dropped) == \
        (1, 1, 1, 0)


def test_environments_tab_tells_an_async_burst_from_a_sync_burst(fast):
    """20 async events against reserved concurrency 2 wait in the queue and are retried; 20 sync calls from
    threads get 429s at once. Both run in two environments."""
    fast.create_function("queued", SLEEPER)
    fast.create_function("direct", SLEEPER)
    for name in ("queued", "direct"):
        fast.put_function_concurrency(name, 2)
    for _ in range(20):
        fast.invoke("queued", {"sleep": 0.3}, invocation_type="Event")
    refused = []

    def call() -> None:
        try:
            fast.invoke("direct", {"sleep": 1})
        except TooManyRequestsException:
            refused.append(1)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fast.drain(60)
    queued, direct = Console(fast, "queued", refresh_seconds=60), Console(fast, "direct", refresh_seconds=60)
    try:
        queued.environments.window.value = direct.environments.window.value = "5 min"
        async_view, sync_view = queued.environments.view.value, direct.environments.view.value
        assert svg_classes(async_view, "lane") == 2 and svg_classes(sync_view, "lane") == 2
        assert drawn(async_view, "invoke success") == 20 and drawn(sync_view, "invoke success") == 2
        assert drawn(sync_view, "throttle refused") == len(refused) == 18
        assert svg_classes(sync_view, "throttle retried") == 0
        assert svg_classes(async_view, "throttle retried") > 0 and svg_classes(async_view, "throttle refused") == 0
        assert ">Throttled, sync (18)<" in sync_view and ">Throttled, async (0)<" in sync_view  # a row each
        assert "reserved concurrency 2" in async_view
        steps = Picture.of(fast.timeline("queued")).concurrency()
        assert max(level for _, level in steps) == 2
        events = queued.queue.events.value
        assert svg_classes(events, "attempt") == 20 and svg_classes(events, "ended") == 20
        assert svg_classes(events, "retry") > 0  # throttled events waited for another try
        assert ">20<" in queued.queue.counts.value  # received and succeeded
    finally:
        queued.close()
        direct.close()


def test_environments_tab_colours_outcomes_marks_resets_and_shows_an_invoke(service):
    service.create_function("moody", "import os, time\ndef lambda_handler(event, context):\n"
                            "    if event == 'crash': os._exit(3)\n    if event == 'slow': time.sleep(5)\n"
                            "    if event == 'fail': raise ValueError('no')\n    return 1\n", timeout=1)
    console = Console(service, "moody", refresh_seconds=60)
    try:
        ok = service.invoke("moody", "fine")
        for event in ("fail", "slow", "crash"):
            service.invoke("moody", event)
        console.refresh()
        view = console.environments.view.value
        for css in ("invoke success", "invoke function-error", "invoke timeout", "invoke crash"):
            assert drawn(view, css) == 1, css
        assert svg_classes(view, "reset") == 2 and svg_classes(view, "init") == 2  # re-INIT after the timeout
        picked = next(o for o in console.environments.invoke.options if ok.request_id in o)
        console.environments.invoke.value = picked
        details = console.environments.details.value
        assert ok.request_id in details and "synchronous (RequestResponse), from api" in details
        assert "Billed Duration:" in details
        console.environments.live.value = False
        assert console.environments.live.description == "Paused"
        service.invoke("moody", "fine")
        console.refresh()
        assert console.environments.view.value == view  # paused: the picture stays still
    finally:
        console.close()
    assert console.environments.invoke.options[0] == NO_DETAILS


def test_monitor_charts_have_axes_units_one_window_and_say_what_their_figure_is(console):
    for key in ("a", "b", "c"):
        console.service.invoke("hello", {"key1": key})
    console.refresh()
    charts = console.monitor.charts.value
    assert charts.count("class='lambdanb-chart'") == 7
    assert "class='axis-time'" in charts and "class='axis-value'" in charts and ">ms</text>" in charts
    assert "last 2 min: 3 invocations" in charts and "last 2 min: 0 errors" in charts
    console.monitor.resolution.value = list(RESOLUTIONS)[1]
    charts = console.monitor.charts.value
    assert charts.count("class='lambdanb-chart'") == 8 and "last 15 min: 3 invocations" in charts
    ticks = re.findall(r"class='axis-time'>([0-9:]+)<", charts)
    assert len(set(ticks)) == len(ticks) // 8  # every chart has the same time axis
    duration = charts.split("Duration p50")[1].split("</svg>")[0]
    single = re.findall(r"<circle cx='([0-9.]+)'", duration)
    assert len(single) == 1 and float(single[0]) > 300  # the one minute with data sits at its time, not the left edge
    assert "USD" in console.monitor.cost.value and "0.00000" not in console.monitor.cost.value


def test_live_monitor_charts_the_iterator_age_of_a_function_reading_a_stream(service):
    kinesis, stream, arn = make_stream("clicks")
    service.create_function("reader", "def lambda_handler(event, context):\n    return None\n")
    service.create_event_source_mapping("reader", arn, starting_position="TRIM_HORIZON", batch_size=1)
    console = Console(service, "reader", refresh_seconds=0.1)
    try:
        assert console.monitor.resolution.value == LIVE
        kinesis.put_record(StreamName=stream, Data=b"click", PartitionKey="one")
        assert eventually(lambda: any(e.kind == "batch" for e in service.timeline("reader")), 60)
        batch = next(e for e in service.timeline("reader") if e.kind == "batch")
        assert 0 <= batch.end - batch.start < 60 and batch.source.startswith("event-source:")
        assert eventually(lambda: "Iterator age" in console.monitor.charts.value
                          and "no stream batches" not in console.monitor.charts.value)
        charts = console.monitor.charts.value
        assert charts.count("class='lambdanb-chart'") == 8
        iterator_age = charts.split("<b>Iterator age</b>")[1].split("</svg>")[0]
        assert "last 2 min: at most" in iterator_age and iterator_age.count("class='point'") == 1
    finally:
        console.close()


def test_cost_is_rounded_as_the_pricing_calculator_shows_it():
    assert usd(0) == "0.00 USD" and usd(1234.5678) == "1,234.57 USD"
    assert usd(0.000004) == "0.00 USD (less than a cent)"


def test_saved_notebooks_get_a_picture_beside_the_widget(console):
    console.service.invoke("hello", {"key1": "saved"})
    bundle = console._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<svg" in bundle["text/html"] and "VBox(" not in bundle["text/html"]
    assert "VBox(" not in bundle["text/plain"]


def test_timeline_outside_the_console(shell):
    shell.run("%%lambda tl\ndef lambda_handler(event, context):\n    return 1\n")
    shell.run("lambdanb.invoke('tl'); lambdanb.invoke('tl')")
    picture = shell.value("lambdanb.timeline('tl')")
    assert isinstance(picture, Timeline)
    html = picture._repr_mimebundle_()["text/html"]
    assert "<svg" in html and svg_classes(html, "lane") == 1 and drawn(html, "invoke success") == 2
    assert repr(picture) == "<timeline of tl: 1 environments, 2 invokes, 0 throttles>"
    assert callable(lambdanb.timeline)


def test_thousands_of_invokes_stay_a_small_picture(service):
    service.create_function("many", "def lambda_handler(event, context):\n    return 1\n")
    for _ in range(1500):
        service.invoke("many")
    console = Console(service, "many", refresh_seconds=60)
    try:
        view = console.environments.view.value
        assert drawn(view, "invoke success") == 1500
        assert len(view) < 100_000 and len(console.monitor.charts.value) < 150_000
    finally:
        console.close()


def test_idle_environments_are_recycled_on_the_timeline():
    service = LambdaService(idle_environment_timeout=0.4)
    try:
        service.create_function("idle", SLEEPER)
        service.invoke("idle", {"sleep": 0})
        assert eventually(lambda: service.timeline("idle")[-1].kind == "retire")
        assert service.timeline("idle")[-1].outcome == "idle"
        console = Console(service, "idle", refresh_seconds=60)
        assert svg_classes(console.environments.view.value, "retire") == 1
        console.close()
    finally:
        service.close()


def test_events_dropped_with_their_deleted_function_get_an_end_mark_and_the_console_says_so():
    service = LambdaService(async_retry_delays=(60, 60))
    service.create_function("doomed", "def lambda_handler(event, context):\n    raise ValueError('no')\n")
    console = Console(service, "doomed", refresh_seconds=0.1)
    try:
        accepted = [service.invoke("doomed", {"n": n}, invocation_type="Event") for n in range(2)]
        assert eventually(lambda: service.async_queue_status("doomed").retrying == 2)  # both wait a minute
        service.delete_function("doomed")
        ends = {e.request_id: e.outcome for e in service.timeline("doomed") if e.kind == "ended"}
        assert ends == {a.request_id: "failed (FunctionDeleted), dropped" for a in accepted}
        assert eventually(lambda: console.closed)  # its last moments drawn, the console stopped
        assert "deleted at" in console.title.value and "this console stopped" in console.title.value
        events = console.queue.events.value
        assert events.count("class='ended'") == 2 and "failed (FunctionDeleted), dropped" in events
        assert ">2<" in console.queue.counts.value.split("Dropped", 1)[1]  # the count tile says so too
        assert "<svg" in console.snapshot().html
    finally:
        console.close()
        service.close()


def test_a_console_shown_after_its_function_was_deleted_says_so(service):
    service.create_function("brief", HANDLER)
    console = Console(service, "brief", refresh_seconds=60)  # its thread would notice only in a minute
    try:
        service.delete_function("brief")
        bundle = console._repr_mimebundle_()
        assert "deleted at" in bundle["text/html"] and console.deleted_at is not None
    finally:
        console.close()
