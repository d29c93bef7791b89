"""Runtimes through Lambda's Runtime API: AWS's own awslambdaric, Node.js, and a custom bash bootstrap."""
from __future__ import annotations

import re
import shutil

import pytest

from lambdanb.errors import LambdaNBError

PYTHON_CASES = {
    "ok": "def lambda_handler(event, context):\n    return {'statusCode': 200, 'body': 'hi', 'mem': context.memory_limit_in_mb}\n",
    "raises": "def lambda_handler(event, context):\n    raise ValueError('boom')\n",
    "marshal": "def lambda_handler(event, context):\n    return {1, 2}\n",
    "no_handler": "def handler(event, context):\n    return 1\n",
    "import_error": "import not_a_module_here\ndef lambda_handler(event, context):\n    return 1\n",
    "exits": "import os\ndef lambda_handler(event, context):\n    os._exit(3)\n",
}
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (the bash bootstrap uses it)")


@pytest.mark.parametrize("case", PYTHON_CASES)
def test_awslambdaric_gives_the_same_results_as_the_native_runtime(service, case):
    service.create_function(f"native-{case}", PYTHON_CASES[case])
    service.create_function(f"ric-{case}", PYTHON_CASES[case], runtime_client="awslambdaric")
    native, ric = service.invoke(f"native-{case}", {"k": 1}), service.invoke(f"ric-{case}", {"k": 1})
    assert native.function_error == ric.function_error
    if not isinstance(native.payload, dict) or "errorType" not in native.payload:
        assert native.payload == ric.payload
        return
    assert ric.payload["errorType"] == native.payload["errorType"]
    assert ric.payload["errorMessage"].replace(ric.request_id, "") == \
        native.payload["errorMessage"].replace(native.request_id, "")
    if "requestId" in native.payload:
        assert bool(ric.payload["requestId"]) == bool(native.payload["requestId"])
    assert ric.logs.splitlines()[-1].startswith(f"REPORT RequestId: {ric.request_id}\t")


def test_awslambdaric_keeps_the_environment_warm_and_times_out(service):
    counter = "n = 0\nimport time\ndef lambda_handler(event, context):\n    global n\n    n += 1\n" \
              "    time.sleep((event or {}).get('sleep', 0))\n    return n\n"
    service.create_function("ric", counter, runtime_client="awslambdaric", timeout=1)
    assert [service.invoke("ric").payload for _ in range(3)] == [1, 2, 3]
    assert service.invoke("ric", {"sleep": 5}).payload["errorType"] == "Sandbox.Timedout"
    assert service.invoke("ric").payload == 1  # reset after the timeout


@needs_curl
def test_custom_runtime_bash_bootstrap(service):
    bootstrap = r'''#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "init with handler $_HANDLER"
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -LD "$HEADERS" "$API/invocation/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  WRONG=$(curl -sS -o /dev/null -w "%{http_code}" "$API/invocation/not-this-one/response" -d '{}')
  echo "wrong id answered $WRONG"
  if [[ "$EVENT" == *fail* ]]; then
    curl -sS -o /dev/null "$API/invocation/$REQUEST_ID/error" -H "Lambda-Runtime-Function-Error-Type: Function.Bash" \
      -d '{"errorMessage": "asked to fail", "errorType": "Function.Bash"}'
  else
    curl -sS -o /dev/null "$API/invocation/$REQUEST_ID/response" -d "{\"echo\": $EVENT}"
  fi
done
'''
    service.create_function("bash", bootstrap, runtime="provided.al2023")
    assert service.get_function("bash").handler == "function.handler"
    r = service.invoke("bash", {"x": 1})
    assert r.payload == {"echo": {"x": 1}} and r.function_error is None
    assert "init with handler function.handler" in r.logs and "wrong id answered 400" in r.logs
    assert r.logs.startswith("INIT_START Runtime Version: provided:al2023.v1")
    failed = service.invoke("bash", {"fail": True})
    assert failed.function_error == "Unhandled"
    assert failed.payload == {"errorMessage": "asked to fail", "errorType": "Function.Bash"}
    # AWS_EXECUTION_ENV is not set for provided runtimes
    service.create_function("bash-env", bootstrap.replace('echo "init with handler $_HANDLER"',
                                                          'echo "exec env ${AWS_EXECUTION_ENV:-unset}"'),
                            runtime="provided.al2023")
    assert "exec env unset" in service.invoke("bash-env", {}).logs


def test_bootstrap_that_exits_during_init(service):
    service.create_function("quits", "#!/bin/bash\necho 'no runtime here'\nexit 127\n", runtime="provided.al2023")
    r = service.invoke("quits")
    assert r.payload["errorType"] == "Runtime.ExitError"
    assert r.payload["errorMessage"].endswith("Runtime exited with error: exit status 127")
    assert "no runtime here" in r.logs


def test_response_too_large_through_the_runtime_api(service):
    service.create_function("big", "def lambda_handler(e, c):\n    return 'x' * 6_300_000\n",
                            runtime_client="awslambdaric")
    assert service.invoke("big").payload["errorType"] == "Function.ResponseSizeTooLarge"


@needs_node
def test_node_es_module(service):
    code = '''export const handler = async (event, context) => {
  console.log("hello", event);
  return { statusCode: 200, body: "Hello from Node", id: context.awsRequestId,
           name: context.functionName, memory: context.memoryLimitInMB,
           left: context.getRemainingTimeInMillis() > 0 };
};
'''
    service.create_function("node", code, runtime="nodejs20.x")
    config = service.get_function("node")
    assert config.handler == "index.handler" and config.handler_file == "index.mjs"
    r = service.invoke("node", {"a": 1})
    assert r.payload == {"statusCode": 200, "body": "Hello from Node", "id": r.request_id, "name": "node",
                         "memory": "128", "left": True}
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + r.request_id + r"\tINFO\thello \{ a: 1 \}$",
                     r.logs, re.M)
    assert r.logs.startswith("INIT_START Runtime Version: nodejs:20.v1")


@needs_node
def test_node_commonjs_callback_and_errors(service):
    service.create_function("cjs", "exports.handler = function (event, context, callback) {\n"
                                   "  if (event.fail) { callback(new RangeError('too far')); return; }\n"
                                   "  callback(null, { cjs: true });\n};\n", runtime="nodejs20.x")
    assert service.get_function("cjs").handler_file == "index.js"
    assert service.invoke("cjs", {}).payload == {"cjs": True}
    failed = service.invoke("cjs", {"fail": True})
    assert failed.function_error == "Unhandled"
    assert failed.payload["errorType"] == "RangeError" and failed.payload["errorMessage"] == "too far"
    assert failed.payload["trace"][0] == "RangeError: too far"
    assert "\tERROR\tInvoke Error \t" in failed.logs


@needs_node
def test_node_handler_missing_and_timeout(service):
    service.create_function("missing", "export const other = async () => 1;\n", runtime="nodejs20.x")
    r = service.invoke("missing")
    assert r.payload["errorType"] == "Runtime.HandlerNotFound"
    assert r.payload["errorMessage"] == "index.handler is undefined or not exported"
    service.create_function("spin", "export const handler = async () => { for (;;) {} };\n", runtime="nodejs20.x",
                            timeout=1)
    assert service.invoke("spin").payload["errorType"] == "Sandbox.Timedout"


def test_bad_runtime_choices_get_one_sentence(service, monkeypatch):
    with pytest.raises(LambdaNBError, match="runtime client awslambdaric is not available for nodejs20.x"):
        service.create_function("x", "", runtime="nodejs20.x", runtime_client="awslambdaric")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(LambdaNBError, match="The nodejs20.x runtime needs Node.js"):
        service.create_function("y", "export const handler = async () => 1;", runtime="nodejs20.x")


def test_magic_runtime_options(shell):
    shell.run("%%lambda viaric --runtime python3.12 --runtime-client awslambdaric\n"
              "def lambda_handler(event, context):\n    return 'ric'\n")
    assert shell.value("lambdanb.invoke('viaric').payload") == "ric"
