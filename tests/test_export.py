"""Export to SAM: code, requirements and a template.yaml that cfn-lint accepts, for every kind of function."""
from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from lambdanb import aws
from lambdanb.export import export_function

CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def lint(template: Path) -> None:
    done = subprocess.run([str(CFN_LINT), str(template)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_export_a_python_function_with_everything(service, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    role = f"exported-{suffix}"
    aws.create_role(role, ["AWSLambdaBasicExecutionRole"], {"read": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}})
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"orders-{suffix}")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    code = "import json\nimport requests\nimport boto3\nimport helpers_of_mine\n\n" \
           "def lambda_handler(event, context):\n    return 1\n"
    service.create_function("order-processor", code, memory_size=256, timeout=30, environment={"STAGE": "prod"},
                            description="Processes orders", role=role, dead_letter_config={"TargetArn": queue})
    (service.get_function("order-processor").task_root / "helpers_of_mine.py").write_text("")
    service.put_function_concurrency("order-processor", 5)
    service.put_function_event_invoke_config("order-processor", maximum_retry_attempts=1, destination_config={
        "OnFailure": {"Destination": queue}})
    service.create_event_source_mapping("order-processor", queue, batch_size=5,
                                        function_response_types=["ReportBatchItemFailures"])
    template_path = Path(export_function(service, "order-processor", tmp_path / "export"))
    assert (tmp_path / "export" / "lambda_function.py").read_text() == code
    assert (tmp_path / "export" / "requirements.txt").read_text() == \
        f"requests=={importlib.metadata.version('requests')}\n"  # helpers_of_mine is the package's own
    template = yaml.safe_load(template_path.read_text())
    properties = template["Resources"]["OrderProcessor"]["Properties"]
    assert properties["Handler"] == "lambda_function.lambda_handler" and properties["Runtime"] == "python3.12"
    assert properties["MemorySize"] == 256 and properties["Timeout"] == 30
    assert properties["Environment"] == {"Variables": {"STAGE": "prod"}}
    assert properties["ReservedConcurrentExecutions"] == 5
    assert properties["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": queue}
    assert properties["EventInvokeConfig"]["MaximumRetryAttempts"] == 1
    assert properties["Events"]["Queue1"]["Properties"]["Queue"] == queue
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in properties["Policies"]
    assert {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                     "Resource": "*"}]} in properties["Policies"]
    lint(template_path)


@pytest.mark.parametrize("runtime, code, files", [
    ("nodejs22.x", "export const handler = async () => 1;\n", ["index.mjs"]),
    ("provided.al2023", "#!/bin/bash\necho hi\n", ["bootstrap"]),
])
def test_export_other_runtimes(service, tmp_path, runtime, code, files, monkeypatch):
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/node")
    service.create_function("other", code, runtime=runtime)
    template_path = Path(export_function(service, "other", tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*files, "template.yaml"])
    lint(template_path)


def test_export_magic(shell, tmp_path):
    shell.run("%%lambda hello\ndef lambda_handler(event, context):\n    return 1\n")
    out = shell.run(f"%lambda export hello {tmp_path}")
    assert "sam build && sam deploy --guided" in out
    assert (tmp_path / "template.yaml").exists()


def test_export_writes_distribution_names_and_the_package_files(service, tmp_path):
    service.create_function("thumbs", "import PIL, yaml, not_installed_anywhere\nimport helpers\n"
                            "def lambda_handler(event, context):\n    return 1\n", kernel_packages=True)
    service.put_function_file("thumbs", "helpers.py", "VALUE = 1\n")
    export_function(service, "thumbs", tmp_path)
    assert (tmp_path / "helpers.py").read_text() == "VALUE = 1\n"
    assert (tmp_path / "requirements.txt").read_text().splitlines() == sorted([
        "# not_installed_anywhere: no installed distribution gives it; name the one to install here",
        f"PyYAML=={importlib.metadata.version('PyYAML')}", f"pillow=={importlib.metadata.version('pillow')}"])
