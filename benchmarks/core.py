"""Core benchmark: the invoke hot path and cold starts, as ratios against this machine's floor.

Run it with `python benchmarks/core.py` (after `./dev test` has made .venv). It prints, from one run:
the raw pipe round trip and a bare fork+join (the floor), warm invoke p50/p99 of a no-op handler,
cold start p50 (new environment + INIT + first invoke) with the spare process ready and without it,
and the same no-op through python-lambda-local.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

NOOP = "def lambda_handler(event, context):\n    return None\n"


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def pipe_round_trip(n: int) -> list[float]:
    """One byte there and back between two processes over os.pipe: the least an invoke can cost."""
    to_child, from_parent = os.pipe()
    to_parent, from_child = os.pipe()
    pid = os.fork()
    if pid == 0:
        for _ in range(n + 100):
            os.write(from_child, os.read(to_child, 1))
        os._exit(0)
    samples = []
    for i in range(n + 100):
        started = time.perf_counter()
        os.write(from_parent, b"x")
        os.read(to_parent, 1)
        if i >= 100:
            samples.append(time.perf_counter() - started)
    os.waitpid(pid, 0)
    for fd in (to_child, from_parent, to_parent, from_child):
        os.close(fd)
    return samples


def fork_join(n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        samples.append(time.perf_counter() - started)
    return samples


def warm_invokes(service, n: int) -> list[float]:
    service.create_function("noop", NOOP)
    for _ in range(100):
        service.invoke("noop")
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        service.invoke("noop")
        samples.append(time.perf_counter() - started)
    return samples


def cold_starts(service, n: int, spare: bool) -> list[float]:
    """Each round deploys a new revision, so the next invoke needs a new environment and INIT.
    With spare=False no blank process is kept ready: every cold start also creates its process."""
    from lambdanb.sandbox import template
    template.spare.enabled = spare
    template.spare.close()
    samples = []
    for i in range(n):
        service.update_function("noop", NOOP + f"# revision {i}\n")
        time.sleep(0.02)  # a person's pause between cells; lets the spare process get ready
        started = time.perf_counter()
        service.invoke("noop")
        samples.append(time.perf_counter() - started)
    return samples


def lambda_local_calls(n: int) -> list[float] | None:
    try:
        from lambda_local.context import Context
        from lambda_local.main import call
    except ImportError:
        return None
    import logging

    def handler(event, context):
        return None

    logging.disable(logging.CRITICAL)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call(handler, {}, Context(3))
        samples.append(time.perf_counter() - started)
    logging.disable(logging.NOTSET)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=5000, help="warm invokes measured")
    parser.add_argument("--cold", type=int, default=100, help="cold starts measured")
    args = parser.parse_args()

    from lambdanb.service.lambda_service import LambdaService as Service
    pipe = pipe_round_trip(20000)
    fork = fork_join(300)
    service = Service()
    try:
        service.create_function("warmup", NOOP)
        service.invoke("warmup")  # start the template process once, as the first cell of a notebook does
        warm = warm_invokes(service, args.warm)
        cold = cold_starts(service, args.cold, spare=True)
        cold_burst = cold_starts(service, args.cold, spare=False)
    finally:
        service.close()
    local = lambda_local_calls(100)

    us = 1e6
    pipe_p50, fork_p50 = statistics.median(pipe), statistics.median(fork)
    warm_p50, warm_p99, cold_p50 = statistics.median(warm), percentile(warm, 99), statistics.median(cold)
    burst_p50 = statistics.median(cold_burst)
    print(f"machine: {os.cpu_count()} cores")
    print(f"floor   raw pipe round trip p50      {pipe_p50 * us:9.1f} us")
    print(f"floor   bare fork+join p50           {fork_p50 * us:9.1f} us")
    print(f"lambdanb warm invoke p50             {warm_p50 * us:9.1f} us   = {warm_p50 / pipe_p50:5.1f} x pipe round trip"
          f"  (goal <= 10x)")
    print(f"lambdanb warm invoke p99             {warm_p99 * us:9.1f} us   = {warm_p99 / pipe_p50:5.1f} x pipe round trip")
    print(f"lambdanb cold start p50              {cold_p50 * us:9.1f} us   = {cold_p50 / fork_p50:5.1f} x fork+join"
          f"  (goal <= 5x)")
    print(f"lambdanb cold start p50, no spare    {burst_p50 * us:9.1f} us   = {burst_p50 / fork_p50:5.1f} x fork+join"
          f"  (a burst: the process is created too)")
    if local:
        local_p50 = statistics.median(local)
        print(f"python-lambda-local call() p50       {local_p50 * us:9.1f} us   = {local_p50 / warm_p50:5.1f} x "
              f"lambdanb warm, {local_p50 / cold_p50:4.1f} x lambdanb cold")
    else:
        print("python-lambda-local is not installed: pip install python-lambda-local")


if __name__ == "__main__":
    main()
