"""The Test tab: a JSON event editor with templates and saved events, the Test / Invoke async / Send batch
buttons, and the execution result."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from .. import aws, events
from ..arns import name_of, service_of
from ..display import invocation_html
from ..errors import LambdaNBError

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService

ASYNC_QUEUE = "the function's async queue"
SAVED = "saved: "


def parse_event(text: str) -> Any:
    """The editor's JSON, or a LambdaNBError naming the line and column of the mistake."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise LambdaNBError(f"The event is not valid JSON: {error.msg} at line {error.lineno}, "
                            f"column {error.colno}. Nothing was sent.") from None


class TestPanel:
    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.template = widgets.Dropdown(description="Template", layout=widgets.Layout(width="50%"))
        self.editor = widgets.Textarea(value=json.dumps(events.generate("hello-world"), indent=2),
                                       layout=widgets.Layout(width="100%", height="180px"))
        self.event_name = widgets.Text(placeholder="test event name", layout=widgets.Layout(width="200px"))
        self.save = widgets.Button(description="Save", icon="save")
        self.test = widgets.Button(description="Test", button_style="primary", icon="play")
        self.invoke_async = widgets.Button(description="Invoke async", icon="forward")
        self.batch = widgets.Button(description="Send batch", icon="layer-group")
        self.batch_size = widgets.BoundedIntText(value=10, min=1, max=100_000, description="N",
                                                 layout=widgets.Layout(width="140px"))
        self.target = widgets.Dropdown(description="to", layout=widgets.Layout(width="45%"))
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Sent",
                                            layout=widgets.Layout(width="50%", display="none"))  # until a batch
        self.status = widgets.HTML()
        self.result = widgets.HTML()
        self.template.observe(self._pick_template, names="value")
        self.save.on_click(lambda _: self._save())
        self.test.on_click(lambda _: self._in_background(self._run_test))
        self.invoke_async.on_click(lambda _: self._in_background(self._run_async))
        self.batch.on_click(lambda _: self._in_background(self._run_batch))
        self.refresh()
        self.template.value = "hello-world"
        self.root = widgets.VBox([
            widgets.HBox([self.template, self.event_name, self.save]), self.editor,
            widgets.HBox([self.test, self.invoke_async]),
            widgets.HBox([self.batch, self.batch_size, self.target]), self.progress, self.status, self.result])
        self.threads: list[threading.Thread] = []

    def refresh(self) -> None:
        saved = [SAVED + name for name in self.service.list_test_events(self.function_name)]
        options = [*events.TEMPLATES, *saved]
        if tuple(options) != self.template.options:
            current = self.template.value
            self.template.options = options
            self.template.value = current if current in options else None
        mappings = [m["EventSourceArn"] for m in self.service.list_event_source_mappings(self.function_name)
                    if service_of(m["EventSourceArn"]) in ("sqs", "kinesis")]
        targets = [ASYNC_QUEUE, *mappings]
        if tuple(targets) != self.target.options:
            current = self.target.value
            self.target.options = targets
            self.target.value = current if current in targets else ASYNC_QUEUE

    def _pick_template(self, change: dict[str, Any]) -> None:
        name = change["new"]
        if not name:
            return
        if name.startswith(SAVED):
            event = self.service.list_test_events(self.function_name)[name[len(SAVED):]]
        else:
            event = events.generate(name)
        self.editor.value = json.dumps(event, indent=2)

    def _save(self) -> None:
        try:
            self.service.save_test_event(self.function_name, self.event_name.value, parse_event(self.editor.value))
        except LambdaNBError as error:
            self._say(str(error), error=True)
            return
        self.refresh()
        self._say(f"Saved test event '{self.event_name.value.strip()}'.")

    def _in_background(self, work: Callable[[Any], None]) -> None:
        """Buttons return at once; the work runs in a thread and reports through widget values."""
        try:
            event = parse_event(self.editor.value)
        except LambdaNBError as error:
            self.result.value = ""  # the last result belongs to another event
            self._say(str(error), error=True)
            return
        thread = threading.Thread(target=self._guarded, args=(work, event), daemon=True,
                                  name="lambdanb-console-work")
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def _guarded(self, work: Callable[[Any], None], event: Any) -> None:
        try:
            work(event)
        except LambdaNBError as error:
            self._say(str(error), error=True)
        except Exception as error:  # the console must keep working whatever happens
            self._say(f"{type(error).__name__}: {error}", error=True)

    def _run_test(self, event: Any) -> None:
        self._say("Running ...")
        invocation = self.service.invoke(self.function_name, event)
        self.result.value = invocation_html(invocation, wrap_between_fields=True)
        self._say(f"Test finished: {'succeeded' if invocation.succeeded else 'failed'}.")

    def _run_async(self, event: Any) -> None:
        accepted = self.service.invoke(self.function_name, event, invocation_type="Event")
        self._say(f"Accepted (202), request id {accepted.request_id}: watch the Logs tab.")

    def _run_batch(self, event: Any) -> None:
        count, target = self.batch_size.value, self.target.value
        self.progress.max, self.progress.value = count, 0
        self.progress.layout.display = None
        send = self._sender(target)
        for n in range(count):
            send(event, n)
            self.progress.value = n + 1
        self._say(f"Sent {count} events to {target}: watch the Logs and Monitor tabs.")

    def _sender(self, target: str) -> Callable[[Any, int], Any]:
        if target == ASYNC_QUEUE:
            return lambda event, n: self.service.invoke(self.function_name, event, invocation_type="Event")
        if service_of(target) == "sqs":
            sqs = aws.client("sqs")
            url = sqs.get_queue_url(QueueName=name_of(target))["QueueUrl"]
            return lambda event, n: sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
        kinesis = aws.client("kinesis")
        stream = name_of(target)
        return lambda event, n: kinesis.put_record(StreamName=stream, Data=json.dumps(event).encode(),
                                                   PartitionKey=str(n))

    def _say(self, message: str, error: bool = False) -> None:
        color = "#d13212" if error else "#333"
        self.status.value = f"<span style='color:{color}'>{escape(message)}</span>"
