"""The local AWS around the functions: moto's server on 127.0.0.1 (S3, SQS, Kinesis, DynamoDB with Streams, IAM,
STS), started on first use and stopped with the kernel; boto3 clients for the notebook; roles for functions."""
from __future__ import annotations

import atexit
import fnmatch
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

from .errors import LambdaNBError

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
ADMIN_USER = "lambdanb-notebook"
BASIC_EXECUTION_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
_SESSION_SECONDS = 43200


def _trust_policy() -> str:
    # Lambda assumes the role; the notebook's administrator assumes it on Lambda's behalf (moto checks the
    # caller against an AWS principal, so both stand in the one statement).
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": "lambda.amazonaws.com", "AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{ADMIN_USER}"}}]})


class LocalAWS:
    """One moto server per kernel, with IAM enforcement on: every caller needs credentials that allow the call."""

    def __init__(self) -> None:
        self.endpoint: str | None = None
        self._process: subprocess.Popen | None = None
        self._admin: dict[str, str] = {}
        self._credentials: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.RLock()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        """Start the server (once) and return its endpoint URL."""
        with self._lock:
            if self.running:
                return self.endpoint
            if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
                raise LambdaNBError("The local AWS needs moto[server] and boto3: pip install 'moto[server]' boto3.")
            port = _free_port()
            env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
            self._process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env,
                preexec_fn=_stop_with_parent)
            self.endpoint = f"http://127.0.0.1:{port}"
            self._wait_until_up()
            self._make_administrator()
            atexit.register(self.stop)
            return self.endpoint

    def _wait_until_up(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LambdaNBError("The local AWS (moto server) stopped as it started.")
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise LambdaNBError(f"The local AWS (moto server) did not answer within {seconds:.0f} seconds.")

    def _make_administrator(self) -> None:
        """While moto still lets anyone in: an administrator for the notebook; then IAM enforcement goes on."""
        iam = self._client("iam", {"aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"})
        iam.create_user(UserName=ADMIN_USER)
        iam.attach_user_policy(UserName=ADMIN_USER, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        key = iam.create_access_key(UserName=ADMIN_USER)["AccessKey"]
        self._admin = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                         headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.terminate()
                try:
                    self._process.wait(5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
            self._credentials.clear()

    def client(self, service_name: str, **options):
        """A boto3 client for the local AWS, with the notebook's administrator credentials."""
        self.start()
        return self._client(service_name, self._admin, **options)

    def _client(self, service_name: str, credentials: dict[str, str], **options):
        import boto3
        return boto3.client(service_name, endpoint_url=self.endpoint, region_name=REGION, **credentials, **options)

    def create_role(self, name: str, managed_policies: list[str] = (), inline_policies: dict | None = None) -> str:
        """CreateRole with Lambda's trust policy; managed policies by name or ARN, inline ones as documents."""
        iam = self.client("iam")
        try:
            arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust_policy(),
                                  MaxSessionDuration=_SESSION_SECONDS)["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            raise LambdaNBError(f"A role named {name} exists already.") from None
        for policy in managed_policies:
            iam.attach_role_policy(RoleName=name, PolicyArn=managed_policy_arn(policy))
        for policy_name, document in (inline_policies or {}).items():
            text = document if isinstance(document, str) else json.dumps(document)
            iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=text)
        return arn

    def role_arn(self, name: str) -> str:
        iam = self.client("iam")
        try:
            return iam.get_role(RoleName=name.rsplit("/", 1)[-1])["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            raise LambdaNBError(f"There is no role named {name}: create it with lambdanb.aws.create_role "
                                "or %lambda role create.") from None

    def credentials(self, role_arn: str) -> dict[str, str]:
        """The role's temporary credentials (STS AssumeRole), as Lambda puts them in the environment."""
        with self._lock:
            cached = self._credentials.get(role_arn)
            if cached and cached[0] > time.time() + 600:
                return cached[1]
            sts = self.client("sts")
            found = sts.assume_role(RoleArn=role_arn, RoleSessionName="lambdanb",
                                    DurationSeconds=_SESSION_SECONDS)["Credentials"]
            credentials = {"AWS_ACCESS_KEY_ID": found["AccessKeyId"],
                           "AWS_SECRET_ACCESS_KEY": found["SecretAccessKey"],
                           "AWS_SESSION_TOKEN": found["SessionToken"]}
            self._credentials[role_arn] = (time.time() + _SESSION_SECONDS, credentials)
            return credentials

    def role_allows(self, role_arn: str, action: str) -> bool:
        """Whether the role's policies allow an action (Allow statements, with Deny winning), resource aside."""
        iam = self.client("iam")
        name = role_arn.rsplit("/", 1)[-1]
        documents = [iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                     for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]["DefaultVersionId"]
            documents.append(iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                                    VersionId=version)["PolicyVersion"]["Document"])
        allowed = False
        for document in documents:
            if isinstance(document, str):
                document = json.loads(document)
            statements = document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                actions = statement.get("Action", [])
                actions = [actions] if isinstance(actions, str) else actions
                if any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions):
                    if statement.get("Effect") == "Deny":
                        return False
                    allowed = True
        return allowed

    def send_to_queue(self, queue_arn: str, body: str, attributes: dict | None = None) -> None:
        """SendMessage to the queue an SQS ARN names (a destination or a dead-letter queue)."""
        sqs = self.client("sqs")
        name = queue_arn.rsplit(":", 1)[-1]
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=body, **({"MessageAttributes": attributes} if attributes else {}))


def managed_policy_arn(policy: str) -> str:
    if policy.startswith("arn:"):
        return policy
    if policy.startswith("AWSLambda") and "Role" in policy:
        return f"arn:aws:iam::aws:policy/service-role/{policy}"
    return f"arn:aws:iam::aws:policy/{policy}"


def _stop_with_parent() -> None:
    """In the server's process before it starts: a SIGTERM when the kernel dies, even by SIGKILL (Linux)."""
    import ctypes
    import signal
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


local = LocalAWS()


def client(service_name: str, **options):
    """lambdanb.aws.client("s3") and friends: boto3 clients for the local AWS."""
    return local.client(service_name, **options)


def create_role(name: str, managed_policies: list[str] = (), inline_policies: dict | None = None) -> str:
    return local.create_role(name, managed_policies, inline_policies)


def send_to_queue(queue_arn: str, body: str, attributes: dict | None = None) -> None:
    local.send_to_queue(queue_arn, body, attributes)


def endpoint() -> str:
    return local.start()
