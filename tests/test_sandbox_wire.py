"""The kernel's reads of an environment's pipe are bounded in time and size, and one invocation gets one answer:
its own. Each hostile handler writes on the environment's pipe itself, or forks."""
from __future__ import annotations

import threading

from lambdanb.sandbox.limits import MB

# A handler finds the environment's pipe (its only socket) and writes raw frames on it.
HOSTILE = '''
import json, os, stat, struct, time
count = 0

def channel():
    for name in os.listdir("/proc/self/fd"):
        try:
            if stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                return int(name)
        except OSError:
            pass

def frame(meta, body=b""):
    encoded = json.dumps(meta).encode()
    return struct.pack("!II", len(encoded), len(body)) + encoded + body

def lambda_handler(event, context):
    global count
    count += 1
    fd = channel()
    {misbehave}
    return count
'''


def deploy(service, name: str, misbehave: str, **settings) -> None:
    service.create_function(name, HOSTILE.replace("{misbehave}", misbehave), **settings)


def bounded(call, seconds: float = 60):
    """Run call in a thread; the test fails (instead of hanging) when it does not return in time."""
    outcome = []
    worker = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the invoke did not return: the kernel is stuck on the environment's pipe"
    return outcome[0]


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / MB


def test_a_frame_header_then_silence_ends_at_the_timeout(service):
    deploy(service, "stall", "if event == 'stall':\n        os.write(fd, struct.pack('!II', 10, 10))\n"
                             "        time.sleep(60)", timeout=2)
    r = bounded(lambda: service.invoke("stall", "stall"))
    assert r.payload == {"errorType": "Sandbox.Timedout",
                         "errorMessage": f"RequestId: {r.request_id} Error: Task timed out after 2.00 seconds"}
    assert service.invoke("stall", "fine").payload == 1


def test_a_huge_frame_is_refused_from_its_header_and_the_kernel_stays_flat(service):
    deploy(service, "flood", "if event == 'flood':\n"
                             "        os.write(fd, struct.pack('!II', 2, 1_500_000_000) + b'{}')\n"
                             "        chunk = bytes(1024 * 1024)\n"
                             "        for _ in range(1500): os.write(fd, chunk)", timeout=30, memory_size=512)
    before = resident_mb()
    r = bounded(lambda: service.invoke("flood", "flood"))
    assert r.payload == {"errorType": "Function.ResponseSizeTooLarge",
                         "errorMessage": "Response payload size exceeded maximum allowed payload size "
                                         "(6291556 bytes)."}
    assert "[ERROR] Function.ResponseSizeTooLarge" in r.logs
    assert resident_mb() - before < 64
    assert service.invoke("flood", "fine").payload == 1  # the environment was reset and starts again


def test_a_big_answer_is_refused_by_the_environment_which_stays_warm(service):
    deploy(service, "big", "if event == 'big':\n        return 'x' * 6_300_000")
    assert service.invoke("big", "fine").payload == 1
    r = service.invoke("big", "big")
    assert r.payload["errorType"] == "Function.ResponseSizeTooLarge"
    assert r.logs.count("[ERROR] Function.ResponseSizeTooLarge") == 1
    assert service.invoke("big", "fine").payload == 3  # no reset: the globals are still there


def test_malformed_frames_are_exit_errors(service):
    deploy(service, "garbage", "if event == 'garbage':\n        os.write(fd, struct.pack('!II', 5, 0) + b'notjs')\n"
                               "        time.sleep(60)\n"
                               "    if event == 'giant-meta':\n        os.write(fd, struct.pack('!II', 10**8, 0))\n"
                               "        time.sleep(60)\n"
                               "    if event == 'not-an-answer':\n"
                               "        os.write(fd, frame({'id': context.aws_request_id, 'status': 'whatever'}))\n"
                               "        time.sleep(60)", timeout=30)
    for event in ("garbage", "giant-meta", "not-an-answer"):
        r = bounded(lambda event=event: service.invoke("garbage", event))
        assert r.payload["errorType"] == "Runtime.ExitError", (event, r.payload)
        assert service.invoke("garbage", "fine").payload == 1


def test_an_answer_for_another_request_is_dropped(service):
    deploy(service, "forger", "os.write(fd, frame({'id': 'another-request', 'status': 'ok', 'duration_ms': 1.0, "
                              "'peak_mb': 1}, b'\"forged\"'))")
    for expected in (1, 2, 3):
        assert service.invoke("forger", "fine").payload == expected


def test_a_forked_copy_never_answers(service):
    deploy(service, "forker", "child = os.fork() == 0\n"
                              "    if not child:\n        time.sleep(0.05)  # the copy would answer first if it could\n"
                              "    return {'event': event, 'copy': child}")
    for number in range(5):
        assert service.invoke("forker", number).payload == {"event": number, "copy": False}
