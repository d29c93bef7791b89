"""Fixtures: a fresh Lambda service per test, and an IPython shell with the extension loaded."""
from __future__ import annotations

import boto3
import pytest
from IPython.core.interactiveshell import InteractiveShell

import lambdanb
from lambdanb.endpoint import LambdaEndpoint


@pytest.fixture
def service():
    """The kernel's Lambda service, fresh: the local AWS delivers its own invokes (S3, SNS) to it."""
    yield lambdanb.configure()
    lambdanb.api.shutdown()


@pytest.fixture
def endpoint(service):
    """The service's Lambda API on a URL of its own, as start_endpoint() gives it."""
    serving = LambdaEndpoint(service)
    service.use_lambda_endpoint(serving.url)
    yield serving
    serving.stop()


@pytest.fixture
def client(endpoint):
    """A boto3 Lambda client of that URL, as a script or the AWS CLI would use."""
    return boto3.client("lambda", endpoint_url=endpoint.url, region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local")


@pytest.fixture
def deterministic_service():
    yield lambdanb.configure(deterministic=True)
    lambdanb.api.shutdown()


class Shell:
    """Runs cells exactly as a user types them; a cell that fails raises, with what IPython printed."""

    def __init__(self, ipython: InteractiveShell, capsys) -> None:
        self.ipython = ipython
        self.capsys = capsys

    def run(self, cell: str) -> str:
        self.capsys.readouterr()
        result = self.ipython.run_cell(cell)
        out, err = self.capsys.readouterr()
        if not result.success:
            raise AssertionError(f"cell failed: {result.error_in_exec or result.error_before_exec}\n{out}{err}")
        return out + err

    def fail(self, cell: str) -> tuple[BaseException, str]:
        """Run a cell that must fail; returns the error and everything printed."""
        self.capsys.readouterr()
        result = self.ipython.run_cell(cell)
        out, err = self.capsys.readouterr()
        assert not result.success, f"cell was expected to fail:\n{cell}"
        return result.error_in_exec or result.error_before_exec, out + err

    def value(self, expression: str):
        return self.ipython.ev(expression)


@pytest.fixture
def shell(capsys):
    ipython = InteractiveShell.instance()
    lambdanb.configure(deterministic=False)
    ipython.run_cell("%load_ext lambdanb")
    yield Shell(ipython, capsys)
    lambdanb.api.shutdown()
