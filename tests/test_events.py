"""What a function receives: the trace id of each invoke in every runtime, and test events shaped as AWS's."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from lambdanb.events import TEMPLATES, generate

TRACE_ID = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0")
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def test_native_python_sets_the_trace_id_for_each_invoke_only(service):
    service.create_function("traced", '''
import os
AT_INIT = os.environ.get("_X_AMZN_TRACE_ID")
def lambda_handler(event, context):
    return {"now": os.environ.get("_X_AMZN_TRACE_ID"), "init": AT_INIT}
''')
    first, second = service.invoke("traced").payload, service.invoke("traced").payload
    assert TRACE_ID.fullmatch(first["now"]) and TRACE_ID.fullmatch(second["now"])
    assert first["now"] != second["now"]
    assert first["init"] is None  # only an invoke has a trace


def test_runtime_api_runtimes_get_the_trace_id(service):
    service.create_function("ric", '''
import os
def lambda_handler(event, context):
    return os.environ.get("_X_AMZN_TRACE_ID")
''', runtime_client="awslambdaric")
    assert TRACE_ID.fullmatch(service.invoke("ric").payload)


@needs_node
def test_node_gets_the_trace_id(service):
    service.create_function("node", "export const handler = async () => process.env._X_AMZN_TRACE_ID;\n",
                            runtime="nodejs20.x")
    assert TRACE_ID.fullmatch(service.invoke("node").payload)
