"""The local AWS's front door: functions reach the AWS APIs and nothing else; moto's own API answers the kernel."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from support import unique

from lambdanb import aws
from lambdanb.aws import LocalAWS

LOGS_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}]}
# What a function with a logs-only role tried against moto 5.2's own server, and what it must not get now.
ATTACKER = '''
import json, os, urllib.request, urllib.error
import boto3

def call(path, body=None, headers=None):
    request = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + path, data=body, headers=headers or {},
                                     method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()

def lambda_handler(event, context):
    # A signing scope that makes moto's dispatcher pick its control API for a path outside /moto-api.
    forged = {"Authorization": "AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/motoapi.amazonaws.com#/aws4_request, "
                               "SignedHeaders=host, Signature=0"}
    found = {"data": call("/moto-api/data.json"), "reset_auth": call("/moto-api/reset-auth", b"0"),
             "reset": call("/moto-api/reset", b""), "forged": call("//moto-api/reset-auth", b"0", forged),
             "guessed_key": call("/moto-api/data.json", headers={"X-Lambdanb-Kernel-Key": "guess"}),
             "metadata": call("/latest/meta-data/iam/security-credentials/")}
    s3 = boto3.client("s3")
    try:
        s3.get_object(Bucket=event["bucket"], Key="secret.txt")
        found["read"] = "read"
    except Exception as error:
        found["read"] = str(error)
    iam = boto3.client("iam")
    try:
        iam.attach_role_policy(RoleName=event["role"], PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        found["escalate"] = "attached"
    except Exception as error:
        found["escalate"] = str(error)
    return found
'''


def test_a_function_cannot_reach_motos_own_api_nor_switch_enforcement_off(service):
    bucket = unique("private")
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="secret.txt", Body=b"the notebook's")
    role = unique("logs-only")
    aws.create_role(role, [], {"logs": LOGS_ONLY})
    service.create_function("attacker", ATTACKER, role=role, memory_size=256, timeout=30)

    found = service.invoke("attacker", {"bucket": bucket, "role": role}).payload

    for attempt in ("data", "reset_auth", "reset", "forged", "guessed_key", "metadata"):
        status, body = found[attempt]
        assert status == 403, f"{attempt}: {status} {body[:200]}"
        assert "moto's own API answers the notebook's kernel alone" in body
    assert "AccessDenied" in found["read"]
    assert "AccessDenied" in found["escalate"]
    attached = aws.client("iam").list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert attached == []
    # Enforcement is still on for everyone after the attempts.
    assert "AccessDenied" in service.invoke("attacker", {"bucket": bucket, "role": role}).payload["read"]


def test_the_kernel_reaches_motos_own_api_with_its_key():
    data = json.loads(aws.local.control("data.json"))
    assert "iam" in data and "s3" in data


def test_enforcement_is_on_from_the_first_request():
    local = LocalAWS()
    try:
        import boto3
        stranger = boto3.client("sts", endpoint_url=local.start(), region_name="us-east-1",
                                aws_access_key_id="AKIASTRANGER00000000", aws_secret_access_key="stranger")
        with pytest.raises(Exception, match="InvalidClientTokenId"):
            stranger.get_caller_identity()
        assert local.client("sts").get_caller_identity()["Arn"].endswith(":user/lambdanb-notebook")
    finally:
        local.stop()


def test_the_server_gets_a_clean_environment_and_no_secret_in_argv_or_environ(monkeypatch):
    monkeypatch.setenv("KERNEL_ONLY_SECRET", "do-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-users-real-key")
    local = LocalAWS()
    try:
        local.start()
        admin_secret = local._admin["aws_secret_access_key"]
        environ = Path(f"/proc/{local.pid}/environ").read_bytes().decode()
        cmdline = Path(f"/proc/{local.pid}/cmdline").read_bytes().decode()
        names = {entry.split("=", 1)[0] for entry in environ.split("\0") if entry}
        assert names <= {"PATH", "HOME", "TMPDIR", "LANG", "AWS_EC2_METADATA_DISABLED", "MOTO_PORT",
                         "MOTO_IAM_LOAD_MANAGED_POLICIES"}
        for secret in ("do-not-leak", "the-users-real-key", admin_secret):
            assert secret not in environ and secret not in cmdline
        assert Path(dict(e.split("=", 1) for e in environ.split("\0") if e)["HOME"]) != Path.home()
    finally:
        local.stop()


def test_the_control_api_refuses_a_request_without_the_key():
    request = urllib.request.Request(f"{aws.endpoint()}/moto-api/reset-auth", data=b"0", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    import boto3
    stranger = boto3.client("s3", endpoint_url=aws.endpoint(), region_name="us-east-1",
                            aws_access_key_id="stranger", aws_secret_access_key="stranger")
    with pytest.raises(Exception, match="InvalidAccessKeyId"):
        stranger.list_buckets()
