"""Metrics per function and minute, custom metrics from Embedded Metric Format, and the cost estimate."""
from __future__ import annotations

import pytest

from lambdanb.service import billing
from lambdanb.service.metrics import FOLD_AFTER, GB_SECONDS, SAMPLES_KEPT, InvocationFacts, MetricStore

EMF = '''
import json, time
def lambda_handler(event, context):
    print(json.dumps({"_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
        {"Namespace": "ServerlessAirline", "Dimensions": [["service"]],
         "Metrics": [{"Name": "SuccessfulBooking", "Unit": "Count"}]}]},
        "service": "booking", "SuccessfulBooking": [1.0, 1.0]}, separators=(",", ":")))
    print("not metrics {\\"_aws\\": 1}")
    return 1
'''


def test_metrics_summary_covers_lambdas_metrics(service):
    service.create_function("m", "def lambda_handler(e, c):\n    if e: raise ValueError('no')\n    return 1\n")
    for event in (None, None, True):
        service.invoke("m", event)
    summary = service.get_metrics("m")
    assert summary["Invocations"] == 3 and summary["Errors"] == 1 and summary["Throttles"] == 0
    assert summary["ConcurrentExecutions Maximum"] == 1
    assert 0 < summary["Duration p50"] <= summary["Duration p90"] <= summary["Duration p99"] \
        <= summary["Duration Maximum"]
    (point,) = service.get_metric_statistics("m", "Invocations")
    assert point["Sum"] == 3 and point["Timestamp"] % 60 == 0


def test_embedded_metric_format_lines_become_custom_metrics(service):
    service.create_function("emf", EMF)
    service.invoke("emf")
    service.invoke("emf")
    (metric,) = service.get_custom_metrics()
    assert metric["Namespace"] == "ServerlessAirline" and metric["MetricName"] == "SuccessfulBooking"
    assert metric["Dimensions"] == {"service": "booking"} and metric["Unit"] == "Count"
    assert metric["SampleCount"] == 4 and metric["Sum"] == 4.0


def test_cost_estimate_from_published_prices(service):
    service.create_function("cost", "def lambda_handler(e, c):\n    return 1\n", memory_size=1024)
    runs = [service.invoke("cost") for _ in range(4)]
    estimate = service.get_cost("cost")
    assert estimate.requests == 4
    assert estimate.gb_seconds == pytest.approx(sum(r.billed_duration_ms for r in runs) / 1000)
    assert estimate.request_cost == pytest.approx(4 * 0.0000002)
    assert estimate.cost_after_free_tier == 0.0


def test_billing_tiers_and_free_tier():
    month = billing.estimate(requests=10_000_000, gb_s=billing.gb_seconds(512, 200) * 10_000_000)
    assert month.gb_seconds == pytest.approx(1_000_000)
    assert month.request_cost == pytest.approx(2.0)
    assert month.compute_cost == pytest.approx(1_000_000 * 0.0000166667)
    assert month.cost_after_free_tier == pytest.approx(9_000_000 * 0.0000002 + 600_000 * 0.0000166667)
    huge = billing.estimate(0, 7_000_000_000)
    assert huge.compute_cost == pytest.approx(6e9 * 0.0000166667 + 1e9 * 0.000015)


def test_invocations_recorded_in_bulk_give_the_same_statistics_as_one_by_one():
    """Past FOLD_AFTER invocations fold on their own; more values than SAMPLES_KEPT in a minute fold into totals."""
    recorded, one_by_one = MetricStore(), MetricStore()
    durations = [float(n % 997) for n in range(FOLD_AFTER + SAMPLES_KEPT + 7)]
    for n, duration in enumerate(durations):
        facts = InvocationFacts("f", 120.5 + n / 30, n % 3 == 0, duration, 1 + n % 5, duration / 1000)
        recorded.record_invocation(facts)
        for metric, value in facts.metrics():
            one_by_one.put("f", metric, value, facts.timestamp_s)
    for metric in ("Invocations", "Errors", "Duration", "ConcurrentExecutions", GB_SECONDS):
        for statistic in ("Sum", "SampleCount", "Minimum", "Maximum", "Average", "p50", "p99"):
            assert recorded.total("f", metric, statistic) == one_by_one.total("f", metric, statistic), \
                (metric, statistic)
    assert [p.timestamp for p in recorded.datapoints("f", "Duration")] == [120, 180]
    assert recorded.total("f", "Errors") == len(range(0, len(durations), 3))
