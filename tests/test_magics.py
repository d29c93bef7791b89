"""The magics, run through an IPython shell exactly as a user types them."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from IPython.core.error import UsageError

HELLO = '''%%lambda myLambdaFunction --runtime python3.12 --memory 128 --timeout 3
import json

def lambda_handler(event, context):
    return {"statusCode": 200, "body": "Hello from AWS Lambda"}
'''


def test_cell_deploys_and_shows_card(shell):
    out = shell.run(HELLO)
    assert "myLambdaFunction (arn:aws:lambda:us-east-1:123456789012:function:myLambdaFunction)" in out
    assert "python3.12, handler lambda_function.lambda_handler, 128 MB, 3 s timeout" in out
    assert re.search(r"\d+ bytes of code", out)
    config = shell.value("lambdanb.get_function('myLambdaFunction')")
    assert config.memory_size == 128 and config.timeout == 3 and config.code_size > 0


def test_invoke_from_python_and_from_magic(shell):
    shell.run(HELLO)
    shell.run("r = lambdanb.invoke('myLambdaFunction', {'key1': 'value1'})")
    assert shell.value("r.payload") == {"statusCode": 200, "body": "Hello from AWS Lambda"}
    out = shell.run("""%lambda invoke myLambdaFunction --event '{"key1": "value1"}'""")
    assert "Execution result: succeeded" in out
    assert '"body": "Hello from AWS Lambda"' in out
    assert re.search(r"REPORT RequestId: [0-9a-f-]{36}\tDuration: ", out)


def test_logs_list_delete(shell):
    shell.run(HELLO)
    shell.run("%lambda invoke myLambdaFunction")
    logs = shell.run("%lambda logs myLambdaFunction")
    assert logs.startswith("INIT_START Runtime Version: python:3.12")
    assert "END RequestId: " in logs and "REPORT RequestId: " in logs
    assert "myLambdaFunction" in shell.run("%lambda list")
    assert "Deleted function myLambdaFunction." in shell.run("%lambda delete myLambdaFunction")
    assert "No functions yet" in shell.run("%lambda list")
    error, printed = shell.fail("%lambda invoke myLambdaFunction")
    assert isinstance(error, UsageError)
    assert "ResourceNotFoundException" in printed and "Traceback" not in printed


def test_rerunning_the_cell_updates_latest_and_starts_cold(shell):
    shell.run(HELLO)
    shell.run("first = lambdanb.invoke('myLambdaFunction'); warm = lambdanb.invoke('myLambdaFunction')")
    assert shell.value("first.init_duration_ms") is not None
    assert shell.value("warm.init_duration_ms") is None
    shell.run(HELLO.replace("Hello from AWS Lambda", "Hello again"))
    shell.run("after = lambdanb.invoke('myLambdaFunction')")
    assert shell.value("after.payload['body']") == "Hello again"
    assert shell.value("after.init_duration_ms") is not None
    assert shell.value("lambdanb.lambda_service().placement.environments('myLambdaFunction')") == 1


def test_env_and_description_options(shell):
    shell.run("%%lambda envfn --env STAGE=dev GREETING=hi --description 'says hi'\n"
              "import os\n"
              "def lambda_handler(event, context):\n"
              "    return [os.environ['STAGE'], os.environ['GREETING']]\n")
    assert shell.value("lambdanb.invoke('envfn').payload") == ["dev", "hi"]
    assert shell.value("lambdanb.get_function('envfn').description") == "says hi"


@pytest.mark.parametrize("line, words", [
    ("%%lambda fn --colour red", "unrecognized arguments: --colour red"),
    ("%%lambda fn --memory 100", "Member must have value greater than or equal to 128"),
    ("%%lambda fn --memory 20000", "Member must have value less than or equal to 10240"),
    ("%%lambda fn --timeout 0", "Member must have value greater than or equal to 1"),
    ("%%lambda fn --timeout 901", "Member must have value less than or equal to 900"),
    ("%%lambda 'bad name!'", "at 'functionName' failed to satisfy constraint"),
    ("%%lambda " + "x" * 65, "Member must have length less than or equal to 64"),
    ("%%lambda fn --memory lots", "invalid int value: 'lots'"),
    ("%%lambda fn --env AWS_REGION=eu-west-1", "Reserved keys used in this request: AWS_REGION"),
    ("%%lambda fn --env NOEQUALS", "--env takes KEY=VALUE"),
    ("%%lambda fn --runtime cobol42", "runtime parameter of cobol42 is not supported"),
])
def test_bad_cell_arguments_get_one_sentence(shell, line, words):
    error, printed = shell.fail(line + "\ndef lambda_handler(event, context):\n    return 1\n")
    assert isinstance(error, UsageError)
    assert words in printed
    assert "Traceback" not in printed
    assert len(printed.strip().splitlines()) == 1


@pytest.mark.parametrize("line, words", [
    ("%lambda invoke fn --event '{not json'", "--event is not valid JSON"),
    ("%lambda invoke fn --bogus 1", "unrecognized arguments: --bogus 1"),
    ("%lambda frobnicate fn", "%lambda takes one of: invoke, logs, list, delete"),
    ("%lambda", "%lambda takes one of"),
    ("%lambda logs nosuchfunction", "Function not found"),
])
def test_bad_line_arguments_get_one_sentence(shell, line, words):
    shell.run("%%lambda fn\ndef lambda_handler(event, context):\n    return 1\n")
    error, printed = shell.fail(line)
    assert isinstance(error, UsageError)
    assert words in printed
    assert "Traceback" not in printed


def test_warning_when_code_does_not_compile(shell):
    out = shell.run("%%lambda broken\ndef lambda_handler(event, context):\n    return (\n")
    assert "Warning: lambda_function.py does not compile" in out
    assert "Runtime.UserCodeSyntaxError" in out
    payload = shell.value("lambdanb.invoke('broken').payload")
    assert payload["errorType"] == "Runtime.UserCodeSyntaxError"


def test_warning_when_handler_is_missing(shell):
    out = shell.run("%%lambda nohandler\ndef handler(event, context):\n    return 1\n")
    assert "Warning: lambda_function.py defines no 'lambda_handler'" in out
    payload = shell.value("lambdanb.invoke('nohandler').payload")
    assert payload == {"errorMessage": "Handler 'lambda_handler' missing on module 'lambda_function'",
                       "errorType": "Runtime.HandlerNotFound", "requestId": "", "stackTrace": []}


def test_no_warning_for_a_good_cell(shell):
    assert "Warning" not in shell.run(HELLO)


def test_braces_in_event_are_not_expanded(shell):
    shell.run("%%lambda echo\ndef lambda_handler(event, context):\n    return event\n")
    shell.run("name = 'not used'")
    shell.run("""r = %lambda invoke echo --event '{"name": "{name}"}'""")
    assert shell.value("r.payload") == {"name": "{name}"}


def test_loading_the_extension_imports_neither_the_service_nor_moto():
    """%load_ext returns at once: the API is imported in the background, the Lambda API's botocore model and moto
    only when something needs them."""
    script = ("import sys\nfrom IPython.core.interactiveshell import InteractiveShell\n"
              "import lambdanb.magics\nloaded = set(sys.modules)\nimport lambdanb.api\n"
              "print(' '.join(name for name in ('lambdanb.api', 'moto', 'botocore') if name in loaded),\n"
              "      '|', ' '.join(name for name in ('moto', 'botocore') if name in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["|"], out


def test_the_api_does_not_wait_for_a_template_process_that_cannot_start():
    """The API waits while %load_ext's thread starts the template process; if that thread fails first, the API
    still answers at once (here with the same failure), and the kernel does not hang."""
    script = ("import sys\nfrom IPython.core.interactiveshell import InteractiveShell\n"
              "sys.modules['lambdanb.sandbox.template'] = None  # importing it fails\n"
              "InteractiveShell.instance().run_cell('%load_ext lambdanb')\nimport lambdanb\n"
              "try:\n    lambdanb.list_functions()\nexcept ImportError:\n    print('ImportError')\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["ImportError"], out


def test_the_first_invoke_imports_neither_event_sources_nor_api_gateway():
    """Parts of the service a first invoke does not use are made, and their modules imported, on first use (the
    Lambda API's HTTP server with the local AWS or start_endpoint())."""
    lazy = ("lambdanb.service.event_sources", "lambdanb.service.triggers.api_gateway", "http.server", "urllib.request")
    script = ("import sys, lambdanb\nlambdanb.create_function('f', 'def lambda_handler(e, c):\\n    return 1\\n')\n"
              f"assert lambdanb.invoke('f').payload == 1\nlazy = {lazy!r}\n"
              "print(' '.join(name for name in lazy if name in sys.modules), '|')\n"
              "lambdanb.list_event_source_mappings()\n"
              "print(' '.join(name for name in lazy if name in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["|"], out  # nor does listing mappings when there are none (the console does, every second)
