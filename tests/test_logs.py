"""Logs as Lambda writes them, errors in Lambda's shape, and the deterministic mode for checked notebooks."""
from __future__ import annotations

import os
import re
import uuid

from lambdanb.ids import uuid4_text
from lambdanb.service.logs import MAX_EVENT_BYTES

REPORT_WARM = re.compile(r"REPORT RequestId: (?P<id>[0-9a-f-]{36})\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\t"
                         r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t")


def test_start_end_report_lines(service):
    service.create_function("fmt", "def lambda_handler(e, c):\n    print('hello')\n    return 1\n")
    cold = service.invoke("fmt").logs.splitlines()
    assert cold[0].startswith("INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: "
                              "arn:aws:lambda:us-east-1::runtime:")
    request_id = cold[1].split()[2]
    assert cold[1:4] == [f"START RequestId: {request_id} Version: $LATEST", "hello", f"END RequestId: {request_id}"]
    assert re.fullmatch(REPORT_WARM.pattern + r"Init Duration: \d+\.\d{2} ms\t", cold[4])
    warm = service.invoke("fmt").logs.splitlines()
    assert warm[0].startswith("START RequestId:") and len(warm) == 4
    assert REPORT_WARM.fullmatch(warm[3])


def test_unhandled_exception_payload_and_log_line(service):
    code = "def lambda_handler(event, context):\n    raise Exception('Handler fails')\n"
    service.create_function("boom", code)
    r = service.invoke("boom")
    assert r.function_error == "Unhandled"
    assert r.payload == {
        "errorMessage": "Handler fails", "errorType": "Exception", "requestId": r.request_id,
        "stackTrace": ['  File "/var/task/lambda_function.py", line 2, in lambda_handler\n'
                       '    raise Exception(\'Handler fails\')\n']}
    events = service.get_logs("boom", request_id=r.request_id)
    error_event = next(e for e in events if e.message.startswith("[ERROR]"))
    assert error_event.message == ("[ERROR] Exception: Handler fails\nTraceback (most recent call last):\n"
                                   "\u00a0\u00a0File \"/var/task/lambda_function.py\", line 2, in lambda_handler\n"
                                   "\u00a0\u00a0\u00a0\u00a0raise Exception('Handler fails')")
    assert REPORT_WARM.match(r.logs.splitlines()[-1]) and "Status" not in r.logs.splitlines()[-1]


def test_init_errors_have_an_empty_request_id_and_an_init_report(service):
    service.create_function("noimport", "import pandas_is_not_here\ndef lambda_handler(e, c):\n    return 1\n")
    r = service.invoke("noimport")
    assert r.payload == {"errorMessage": "Unable to import module 'lambda_function': "
                                         "No module named 'pandas_is_not_here'",
                         "errorType": "Runtime.ImportModuleError", "requestId": "", "stackTrace": []}
    assert re.search(r"INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: error\t"
                     r"Error Type: Runtime.ImportModuleError", r.logs)
    assert "[ERROR] Runtime.ImportModuleError: Unable to import module 'lambda_function'" in r.logs
    assert r.logs.splitlines()[-1].endswith("Status: error\tError Type: Runtime.ImportModuleError")


def test_syntax_error_and_exception_at_import(service):
    service.create_function("syntax", "def lambda_handler(e, c):\n    return (\n")
    p = service.invoke("syntax").payload
    assert p["errorType"] == "Runtime.UserCodeSyntaxError"
    assert p["errorMessage"].startswith("Syntax error in module 'lambda_function': '(' was never closed")
    assert p["stackTrace"] == ['  File "/var/task/lambda_function.py" Line 2\n    return (\n']
    service.create_function("initfail", "raise KeyError('CONFIG')\ndef lambda_handler(e, c):\n    return 1\n")
    p = service.invoke("initfail").payload
    assert (p["errorType"], p["errorMessage"], p["requestId"]) == ("KeyError", "'CONFIG'", "")


def test_malformed_handler_and_builtin_module(service):
    service.create_function("nodot", "def lambda_handler(e, c):\n    return 1\n", handler="lambda_handler")
    p = service.invoke("nodot").payload
    assert p["errorType"] == "Runtime.MalformedHandlerName"
    assert p["errorMessage"] == "Bad handler 'lambda_handler': not enough values to unpack (expected 2, got 1)"
    service.create_function("builtin", "x = 1\n", handler="sys.lambda_handler")
    p = service.invoke("builtin").payload
    assert p == {"errorMessage": "Cannot use built-in module sys as a handler module",
                 "errorType": "Runtime.BuiltInModuleConflict", "requestId": "", "stackTrace": []}


def test_marshal_error_and_response_too_large(service):
    service.create_function("marshal", "def lambda_handler(e, c):\n    return {'s': {1, 2}}\n")
    r = service.invoke("marshal")
    assert r.payload == {"errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
                         "errorType": "Runtime.MarshalError", "requestId": r.request_id, "stackTrace": []}
    service.create_function("large", "def lambda_handler(e, c):\n    return 'x' * 6_291_556\n")
    r = service.invoke("large")
    assert r.payload == {"errorType": "Function.ResponseSizeTooLarge",
                         "errorMessage": "Response payload size exceeded maximum allowed payload size "
                                         "(6291556 bytes)."}
    assert r.function_error == "Unhandled"
    service.create_function("fits", "def lambda_handler(e, c):\n    return 'x' * 6_291_000\n")
    assert service.invoke("fits").function_error is None


def test_logging_uses_the_runtime_format(service):
    code = ("import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n"
            "def lambda_handler(e, c):\n    logger.info('two\\nlines')\n    return 1\n")
    service.create_function("logging", code)
    r = service.invoke("logging")
    line = next(e.message for e in service.get_logs("logging") if e.message.startswith("[INFO]"))
    assert re.fullmatch(r"\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + r.request_id + "\ttwo\nlines", line)


def test_a_long_line_is_cut_to_one_cloudwatch_event(service):
    service.create_function("long", "def lambda_handler(e, c):\n    print('y' * 300_000)\n    return 1\n")
    service.invoke("long")
    longest = max(service.get_logs("long"), key=lambda e: len(e.message))
    assert len(longest.message.encode()) == MAX_EVENT_BYTES


def test_log_queries(service):
    service.create_function("q", "def lambda_handler(e, c):\n    print('event', e)\n    return 1\n")
    first = service.invoke("q", "apple")
    second = service.invoke("q", "banana")
    assert [e.message for e in service.get_logs("q", pattern="banana")] == ["event banana"]
    assert all(e.request_id == first.request_id for e in service.get_logs("q", request_id=first.request_id))
    stream = service.get_logs("q")[0].log_stream
    assert len(service.get_logs("q", log_stream=stream)) == len(service.get_logs("q"))
    assert str(service.get_logs("q", request_id=second.request_id)) == second.logs


def test_deterministic_mode_makes_output_repeatable():
    from lambdanb.service.lambda_service import LambdaService as Service
    runs = []
    for _ in range(2):
        service = Service(deterministic=True)
        try:
            service.create_function("same", "import logging\ndef lambda_handler(e, c):\n"
                                            "    logging.warning('hi')\n    return c.log_stream_name\n")
            runs.append([(r.request_id, r.payload, r.logs, str(r)) for r in
                         (service.invoke("same"), service.invoke("same"))])
        finally:
            service.close()
    assert runs[0] == runs[1]
    (request_id, stream, logs, text), _ = runs[0]
    assert stream.startswith("2026/01/01/[$LATEST]") and len(stream.split("]")[1]) == 32
    assert "Duration: 1.00 ms\tBilled Duration: 101 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t" \
           "Init Duration: 100.00 ms" in logs
    assert f"[WARNING]\t2026-01-01T00:00:00.000Z\t{request_id}\thi" in logs


def test_request_ids_are_version_4_uuids_as_the_uuid_module_writes_them(service):
    for raw in [bytes(16), b"\xff" * 16, *(os.urandom(32) for _ in range(2000))]:
        assert uuid4_text(raw) == str(uuid.UUID(bytes=raw[:16], version=4))
    service.create_function("ids", "def lambda_handler(e, c):\n    return c.aws_request_id\n")
    first, second = service.invoke("ids"), service.invoke("ids")
    assert first.payload == first.request_id != second.request_id
    assert uuid.UUID(first.request_id).version == 4 and str(uuid.UUID(first.request_id)) == first.request_id


def test_output_written_past_sys_stdout_is_in_the_logs_and_a_quiet_invoke_has_none(service):
    service.create_function("raw", "import os, subprocess\ndef lambda_handler(e, c):\n    if e == 'loud':\n"
                                   "        os.write(1, b'fd one\\n')\n        os.write(2, b'fd two\\n')\n"
                                   "        subprocess.run(['echo', 'child'])\n    return e\n")
    loud, quiet = service.invoke("raw", "loud"), service.invoke("raw", "quiet")
    lines = [e.message for e in loud.log_events]
    start = next(n for n, line in enumerate(lines) if line.startswith("START"))
    assert lines[start + 1:start + 4] == ["fd one", "fd two", "child"]
    assert [e.message.split(" ")[0] for e in quiet.log_events] == ["START", "END", "REPORT"]
