"""Service benchmark: async throughput and latency, SQS event-source throughput, memory per idle environment,
100 environments of one function at once, and many async events accounted for, beside this machine's floor.

Run it alone with `.venv/bin/python benchmarks/service.py` (add --events 20000 for a quicker run), or all with run.py.
"""
from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

from floor import Floor
from table import Row, machine, print_table

from lambdanb import aws
from lambdanb.service.lambda_service import LambdaService as Service

NOOP = "def lambda_handler(event, context):\n    return None\n"
LATENCY = "import time\ndef lambda_handler(event, context):\n    print('latency', time.time() - event['sent'])\n"
FAIL_5_PERCENT = "def lambda_handler(event, context):\n    if event['n'] % 20 == 0:\n        raise ValueError('5%')\n"
SLEEP = "import time\ndef lambda_handler(event, context):\n    time.sleep(event['sleep'])\n"


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def async_run(concurrency: int, events: int) -> tuple[float, float, float]:
    """Events per second end to end; p50 and p99 latency from acceptance to the handler, one event at a time."""
    service = Service(async_pollers=concurrency)
    try:
        service.create_function("noop", NOOP)
        service.create_function("latency", LATENCY)
        service.invoke("noop")
        started = time.perf_counter()
        for n in range(events):
            service.invoke("noop", {"n": n}, invocation_type="Event")
        service.drain()
        rate = events / (time.perf_counter() - started)
        for _ in range(300):
            service.invoke("latency", {"sent": time.time()}, invocation_type="Event")
            service.drain()
        latencies = sorted(float(e.message.split()[1]) for e in service.get_logs("latency", pattern="latency "))
        return rate, statistics.median(latencies), latencies[int(0.99 * len(latencies))]
    finally:
        service.close()


def sqs_run(messages: int) -> tuple[float, float]:
    """Messages per second through an SQS event source mapping, and the floor: moto's own receive + delete
    of as many messages by a plain loop (moto's SQS costs more per call as a queue grows)."""
    service = Service()
    try:
        sqs = aws.client("sqs")

        def filled_queue() -> tuple[str, str]:
            url = sqs.create_queue(QueueName=f"bench-{time.time_ns()}")["QueueUrl"]
            for start in range(0, messages, 10):
                sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(start + i)}
                                                              for i in range(10)])
            return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        url, _ = filled_queue()
        started = time.perf_counter()
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(batch)])
        floor = messages / (time.perf_counter() - started)
        url, arn = filled_queue()
        service.create_function("consumer", NOOP)
        started = time.time()
        service.create_event_source_mapping("consumer", arn, batch_size=10)
        service.drain()
        # Until the last batch was handled (drain's own check of the empty queue, seconds of long polls, is not
        # the mapping's work; the loop above stops at its first empty receive).
        finished = max(entry.end for entry in service.timeline("consumer") if entry.kind == "invoke")
        return messages / (finished - started), floor
    finally:
        service.close()


def idle_environment_mb(count: int = 20) -> float:
    service = Service()
    try:
        service.create_function("idle", NOOP)
        threads = [threading.Thread(target=service.invoke, args=("idle",)) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pool = service.placement._pools["idle:$LATEST"]
        return statistics.median(rss_mb(e.process.pid) for e in pool.idle)
    finally:
        service.close()


def hundred_environments() -> tuple[int, float]:
    """100 invocations at once of a function that sleeps 2 s: how many environments, and the wall time."""
    service = Service()
    try:
        service.create_function("wide", SLEEP, timeout=60)
        started = time.perf_counter()
        threads = [threading.Thread(target=service.invoke, args=("wide", {"sleep": 2})) for _ in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return service.environments("wide"), time.perf_counter() - started
    finally:
        service.close()


def reliability(events: int) -> tuple[int, int, int, float, float]:
    """Events through 2 functions at concurrency 4, failing 5% of the time: all accounted for, memory flat once the
    bounded stores (logs, timelines) are full. Returns the events sent (`events` and half as many again), accounted
    for and dropped, and the kernel's memory after `events` and after all."""
    service = Service(async_pollers=4, async_retry_delays=(0.01, 0.01))
    try:
        sink = "arn:aws:lambda:us-east-1:123456789012:function:sink"
        service.create_function("sink", NOOP)
        for name in ("a", "b"):
            service.create_function(name, FAIL_5_PERCENT)
            service.put_function_event_invoke_config(name, destination_config={"OnFailure": {"Destination": sink}})
        memory = []
        for part in (range(events), range(events, events + events // 2)):
            for n in part:
                service.invoke("a" if n % 2 else "b", {"n": n // 2}, invocation_type="Event")
            service.drain()
            memory.append(rss_mb())
        a, b = (service.async_outcomes(name) for name in ("a", "b"))
        accounted = a.succeeded + a.failed + b.succeeded + b.failed
        return events + events // 2, accounted, a.dropped + b.dropped, memory[0], memory[1]
    finally:
        service.close()


def measure(floor: Floor, events: int = 100_000, messages: int = 10_000) -> list[Row]:
    rows = []
    pipe_us = floor.pipe_s * 1e6
    for concurrency in (1, 4):
        runs = sorted(async_run(concurrency, 20_000) for _ in range(3))  # the median of three, by rate
        rate, p50, p99 = runs[1]
        goal = ">= 8,000/s" if concurrency == 4 else ""
        rows.append(Row(f"async no-op events/s, concurrency {concurrency} (median of 3 runs: "
                        f"{runs[0][0]:,.0f}-{runs[2][0]:,.0f})", rate, "/s", goal=goal,
                        met=rate >= 8000 if goal else None))
        rows.append(Row(f"  acceptance to handler p50 (p99 {p99 * 1e3:.2f} ms)", p50 * 1e6, "us", pipe_us, "pipe"))
    rate, best = sqs_run(messages)
    rows.append(Row(f"SQS event source, {messages:,}-message backlog", rate, "msg/s", best, "receive+delete loop",
                    ">= 500/s and >= 0.9x", rate >= 500 and rate >= 0.9 * best))
    idle = idle_environment_mb()
    rows.append(Row("idle warm environment, resident", idle, "MB", goal="<= 20 MB", met=idle <= 20))
    count, wall = hundred_environments()
    rows.append(Row(f"100 concurrent 2 s invocations: environments (all done in {wall:.1f} s)", count, "",
                    goal="100", met=count == 100))
    sent, accounted, dropped, before, after = reliability(events)
    rows.append(Row(f"{sent:,} async events, 5% failing: accounted for ({dropped} dropped)", accounted, "",
                    goal=f"{sent:,}", met=accounted == sent))
    rows.append(Row(f"kernel memory growth from {events:,} to {sent:,} events", after - before, "MB",
                    goal="flat (< 5 MB)", met=after - before < 5))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events of the reliability run")
    parser.add_argument("--messages", type=int, default=10_000, help="backlog of the SQS event source run")
    args = parser.parse_args()
    floor = Floor.measure()
    print(f"machine: {machine()}; floor: {floor.describe()}")
    print_table(measure(floor, args.events, args.messages))


if __name__ == "__main__":
    main()
