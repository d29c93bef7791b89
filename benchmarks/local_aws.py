"""Local AWS benchmark: time to the first answer and per-request cost, against moto's own server in the same run.

Run it with `python benchmarks/local_aws.py`. It prints, from one run: how long a fresh Python takes to import
moto's server (the floor of any start: the lowest of --starts runs); the time from start to the first answered call
for moto's own server (`python -m moto.server`, IAM enforcement off) and for lambdanb's local AWS (enforcement on
from the first call), each in a new process with boto3 imported, as a kernel would see it (median of --starts);
then p50 / p99 of S3 GetObject and SQS SendMessage from a boto3 client through moto's own server, and through
lambdanb's local AWS as the administrator and with a role's STS credentials (as a function calls), with the ratios;
last, a no-op Invoke straight to lambdanb's Lambda endpoint and through the local AWS (signature checked, forwarded).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable

FIRST_ANSWER_LAMBDANB = """
import time
import boto3
from lambdanb import aws
started = time.perf_counter()
aws.local.start()
ready = time.perf_counter() - started
aws.client("sts").get_caller_identity()
print(ready, time.perf_counter() - started)
aws.local.stop()
"""
FIRST_ANSWER_MOTO = """
import os, socket, subprocess, sys, time
import boto3
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
started = time.perf_counter()
server = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, env=dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true"))
sts = boto3.client("sts", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                   aws_access_key_id="k", aws_secret_access_key="s")
while True:
    try:
        sts.get_caller_identity()
        break
    except Exception:
        time.sleep(0.01)
print(time.perf_counter() - started)
server.terminate()
server.wait()
"""


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def in_new_process(code: str) -> list[float]:
    """What a new Python (boto3 imported, as in a kernel that has used it) prints: seconds since its timer began."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return [float(figure) for figure in done.stdout.split()]


def import_floor() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-I", "-c", "import moto.moto_server.werkzeug_app"], check=True)
    return time.perf_counter() - started


def per_request(clients: tuple, n: int) -> tuple[list[float], list[float]]:
    """n S3 GetObject and n SQS SendMessage calls, after a short warm-up; seconds per call."""
    s3, sqs, bucket, queue_url = clients
    timings: tuple[list[float], list[float]] = ([], [])
    for samples, call in ((timings[0], lambda: s3.get_object(Bucket=bucket, Key="k")["Body"].read()),
                          (timings[1], lambda: sqs.send_message(QueueUrl=queue_url, MessageBody="m"))):
        for i in range(n + 20):
            started = time.perf_counter()
            call()
            if i >= 20:
                samples.append(time.perf_counter() - started)
    return timings


def connect(endpoint: str, **keys: str) -> Callable[[str], object]:
    import boto3
    return lambda service: boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", **keys)


def make_clients(caller: Callable[[str], object], owner: Callable[[str], object], name: str) -> tuple:
    """A bucket with one 1 KiB object and an empty queue (moto's SendMessage slows as a queue grows), made by
    owner; S3 and SQS clients of caller's."""
    owner("s3").create_bucket(Bucket=name)
    owner("s3").put_object(Bucket=name, Key="k", Body=b"x" * 1024)
    queue_url = owner("sqs").create_queue(QueueName=name)["QueueUrl"]
    return caller("s3"), caller("sqs"), name, queue_url


def moto_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(1000):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.01)
    return server, endpoint


def lambda_invokes(n: int) -> tuple[list[float], list[float]]:
    """n synchronous no-op invokes with boto3, straight to lambdanb's Lambda endpoint and through the local AWS."""
    import lambdanb
    from lambdanb import aws
    lambdanb.create_function("bench-noop", "def lambda_handler(event, context):\n    return None\n")
    url = lambdanb.start_endpoint()
    aws.local.route_lambda_to(url)
    timings: tuple[list[float], list[float]] = ([], [])
    for samples, client in ((timings[0], connect(url, aws_access_key_id="k", aws_secret_access_key="s")("lambda")),
                            (timings[1], aws.client("lambda"))):
        for i in range(n + 20):
            started = time.perf_counter()
            client.invoke(FunctionName="bench-noop", Payload=b"{}")["Payload"].read()
            if i >= 20:
                samples.append(time.perf_counter() - started)
    aws.local.route_lambda_to(None)
    return timings


def report_calls(label: str, timings: tuple[list[float], list[float]], floor: tuple[list[float], list[float]]):
    for name, samples, base in (("S3 GetObject", timings[0], floor[0]), ("SQS SendMessage", timings[1], floor[1])):
        p50, base50 = percentile(samples, 50), percentile(base, 50)
        print(f"{label:34} {name:16} p50 {p50 * 1000:6.2f} ms  p99 {percentile(samples, 99) * 1000:6.2f} ms"
              f"  = {p50 / base50:4.2f} x moto's own (goal <= 3x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="new processes per start figure")
    parser.add_argument("--calls", type=int, default=300, help="calls per per-request figure")
    args = parser.parse_args()

    # Interleaved, so that the three figures see the same load on the machine.
    rounds = [(import_floor(), in_new_process(FIRST_ANSWER_MOTO)[0], *in_new_process(FIRST_ANSWER_LAMBDANB))
              for _ in range(args.starts)]
    floor = min(r[0] for r in rounds)
    moto_first, ready, first = (statistics.median(r[i] for r in rounds) for i in (1, 2, 3))
    print(f"floor   a new Python importing moto's server        {floor:6.3f} s")
    print(f"moto's own server, first answer (enforcement off)   {moto_first:6.3f} s")
    print(f"lambdanb's local AWS, start() returns (enforced)    {ready:6.3f} s  = {ready / floor:4.2f} x floor")
    print(f"lambdanb's local AWS, first answer (enforced)       {first:6.3f} s  = {first / floor:4.2f} x floor"
          "  (goal <= 0.5 s)")

    server, endpoint = moto_server()
    try:
        anyone = connect(endpoint, aws_access_key_id="k", aws_secret_access_key="s")
        own = per_request(make_clients(anyone, anyone, "bench-own"), args.calls)
    finally:
        server.terminate()
        server.wait()

    from lambdanb import aws
    try:
        as_admin = per_request(make_clients(aws.client, aws.client, "bench-admin"), args.calls)
        role = aws.create_role(f"bench-{os.getpid()}", [], {"all": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "sqs:SendMessage"], "Resource": "*"}]}})
        keys = aws.local.credentials(role)
        function = connect(aws.endpoint(), aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
                           aws_session_token=keys["AWS_SESSION_TOKEN"])
        as_role = per_request(make_clients(function, aws.client, "bench-role"), args.calls)
        direct, through = lambda_invokes(args.calls)
    finally:
        aws.local.stop()
    report_calls("moto's own server (enforcement off)", own, own)
    report_calls("lambdanb, administrator (enforced)", as_admin, own)
    report_calls("lambdanb, a role's STS credentials", as_role, own)
    p50, base50 = percentile(through, 50), percentile(direct, 50)
    print(f"{'lambdanb Lambda endpoint, directly':34} {'Invoke (no-op)':16} p50 {base50 * 1000:6.2f} ms"
          f"  p99 {percentile(direct, 99) * 1000:6.2f} ms")
    print(f"{'the same through the local AWS':34} {'Invoke (no-op)':16} p50 {p50 * 1000:6.2f} ms"
          f"  p99 {percentile(through, 99) * 1000:6.2f} ms  = {p50 / base50:4.2f} x directly")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        main()
