"""Schedules: EventBridge rules with a ScheduleExpression and EventBridge Scheduler schedules fire on their clock,
each firing an async invoke through the Frontend; a lab can speed the clock up (settings.schedule_speedup)."""
from __future__ import annotations

import calendar
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import aws
from ...arns import ACCOUNT_ID, REGION
from ...errors import LambdaNBError
from ...local_aws_server import eventbridge_input
from ...log import problem
from ..permissions import ServiceCaller

if TYPE_CHECKING:
    from ..frontend import Frontend

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")
REFRESH_S = 2.0  # how often the schedules are read again from the local AWS (real seconds)


def next_time(expression: str, after: float) -> float | None:
    """When a schedule expression next fires after `after` (seconds since the epoch, UTC); None for never again.
    rate(N unit), cron(minutes hours day-of-month month day-of-week year) as AWS writes it, at(yyyy-mm-ddThh:mm:ss)."""
    rate = _RATE.fullmatch(expression)
    if rate:
        if int(rate[1]) < 1:
            raise LambdaNBError(f"The schedule {expression} is invalid: the value must be at least 1.")
        return after + int(rate[1]) * _UNIT_SECONDS[rate[2].rstrip("s")]
    at = _AT.fullmatch(expression)
    if at:
        moment = calendar.timegm(time.strptime(at[1], "%Y-%m-%dT%H:%M:%S"))
        return moment if moment > after else None
    if expression.startswith("cron(") and expression.endswith(")"):
        return _next_cron(expression[5:-1], after)
    raise LambdaNBError(f"The schedule expression {expression!r} is not rate(...), cron(...) or at(...).")


def _next_cron(fields: str, after: float) -> float | None:
    from croniter import croniter
    parts = fields.split()
    if len(parts) != 6:
        raise LambdaNBError(f"cron({fields}) needs six fields: minutes hours day-of-month month day-of-week year.")
    minutes, hours, day, month, weekday, year = parts
    # AWS numbers the days of the week 1-7 from Sunday, cron 0-6; '?' means "any" in either day field.
    weekday = re.sub(r"\d", lambda digit: str((int(digit[0]) - 1) % 7), weekday)
    expression = " ".join(field.replace("?", "*") for field in (minutes, hours, day, month, weekday))
    moments = croniter(expression, after)
    for _ in range(1000):
        moment = float(moments.get_next(float))
        if year == "*" or str(time.gmtime(moment).tm_year) in _years(year):
            return moment
    return None


def _years(field: str) -> set[str]:
    years: set[str] = set()
    for part in field.split(","):
        first, _, last = part.partition("-")
        years.update(str(y) for y in range(int(first), int(last or first) + 1))
    return years


@dataclass
class Scheduled:
    """One schedule with a Lambda target, and when it fires next on the service's schedule clock."""

    resource_arn: str  # the rule's or the schedule's ARN
    expression: str
    target: dict[str, Any]
    kind: str  # "rule" (EventBridge) or "schedule" (EventBridge Scheduler)
    due: float | None = None
    role_may_invoke: bool = True  # a Scheduler schedule invokes with its role, which must allow it


class Schedules:
    """A thread that reads the local AWS's schedules (only while the local AWS runs) and fires them on time."""

    def __init__(self, frontend: Frontend, speedup: Callable[[], float]) -> None:
        self.frontend = frontend
        self.speedup = speedup
        self._known: dict[tuple[str, str], Scheduled] = {}
        self._started_real = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="lambdanb-schedules")
        self._thread.start()

    def now(self) -> float:
        """The schedule clock: real time, or faster by settings.schedule_speedup since the service started."""
        return self._started_real + (time.time() - self._started_real) * self.speedup()

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        refreshed = 0.0
        while not self._stop.wait(0.05):
            if not aws.local.running:
                continue
            try:
                if time.monotonic() - refreshed >= REFRESH_S:
                    self._refresh()
                    refreshed = time.monotonic()
                self._fire_due()
            except Exception as error:  # the local AWS stopped meanwhile: report once, go on
                problem("the schedules", error)

    def _refresh(self) -> None:
        found = {(s.resource_arn, s.target.get("Id", "")): s for s in (
            Scheduled(entry["arn"], entry["expression"], entry["target"], entry["kind"])
            for entry in aws.local.scheduled_lambda_targets())}
        now = self.now()
        for key, scheduled in found.items():
            known = self._known.get(key)
            if known is not None and known.expression == scheduled.expression:
                scheduled.due = known.due
            else:
                scheduled.due = next_time(scheduled.expression, now)
            if scheduled.kind == "schedule":
                scheduled.role_may_invoke = _role_may_invoke(scheduled.target.get("RoleArn", ""))
        self._known = found

    def _fire_due(self) -> None:
        now = self.now()
        for scheduled in self._known.values():
            if scheduled.due is None or scheduled.due > now:
                continue
            fired_at, scheduled.due = scheduled.due, next_time(scheduled.expression, scheduled.due)
            if not scheduled.role_may_invoke:
                problem(f"the schedule {scheduled.resource_arn}", f"its role {scheduled.target.get('RoleArn')} does "
                        "not allow lambda:InvokeFunction, so it cannot invoke its target")
                continue
            # A rule invokes as events.amazonaws.com, which the function's policy must allow; Scheduler assumes the
            # schedule's role instead.
            caller = ServiceCaller("events.amazonaws.com", scheduled.resource_arn, ACCOUNT_ID) \
                if scheduled.kind == "rule" else None
            try:
                self.frontend.invoke(scheduled.target["Arn"], _payload(scheduled, fired_at), invocation_type="Event",
                                     source=f"schedule:{scheduled.resource_arn}", caller=caller)
            except LambdaNBError as error:
                problem(f"the schedule {scheduled.resource_arn}", error)


def _role_may_invoke(role_arn: str) -> bool:
    """Whether a schedule's role exists and its policies allow lambda:InvokeFunction."""
    try:
        return aws.local.role_allows(role_arn, "lambda:InvokeFunction")
    except Exception:  # noqa: BLE001 - no such role (or no role): the schedule cannot assume it
        return False


def _payload(scheduled: Scheduled, fired_at: float) -> Any:
    if scheduled.kind == "schedule":  # EventBridge Scheduler passes its Input as it is
        return json.loads(scheduled.target.get("Input") or "{}")
    event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
             "account": ACCOUNT_ID, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(fired_at)),
             "region": REGION, "resources": [scheduled.resource_arn], "detail": {}}
    return eventbridge_input(scheduled.target, event)
