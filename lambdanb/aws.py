"""The local AWS around the functions, as the kernel sees it: lambdanb's server around moto on 127.0.0.1 (S3, SQS,
Kinesis, DynamoDB with Streams, IAM, STS; Lambda is lambdanb), started on first use and gone with the kernel; boto3
clients for the notebook; roles and their credentials for functions."""
from __future__ import annotations

import atexit
import fnmatch
import importlib.util
import json
import os
import secrets
import select
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import local_aws_server
from .arns import REGION
from .errors import LambdaNBError
from .local_aws_server import KERNEL_KEY_HEADER, LAMBDA_ROUTE_PATH
from .sandbox import leftovers

ADMIN_USER = "lambdanb-notebook"
BASIC_EXECUTION_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
_SESSION_SECONDS = 43200
SERVER_SCRIPT = local_aws_server.__file__
# Made while the server boots (on the other core), so the first calls do not pay for loading boto3's models.
PREPARED_CLIENTS = ("iam", "s3", "sqs")


def _trust_policy() -> str:
    # AWS's own trust policy for a Lambda execution role ("Choose: Lambda" in the IAM console).
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]})


class LocalAWS:
    """One local AWS per kernel: its server process (lambdanb.local_aws_server), IAM enforced from its first
    request, reached by the notebook as its administrator and by functions with their roles' credentials."""

    def __init__(self) -> None:
        self.endpoint: str | None = None
        self._process: subprocess.Popen | None = None
        self._home: tempfile.TemporaryDirectory | None = None
        self._kernel_key = ""
        self._admin: dict[str, str] = {}
        self._lambda_url: str | Callable[[], str] | None = None
        self._clients: dict[str, object] = {}
        self._credentials: dict[str, tuple[float, dict[str, str]]] = {}
        self._lock = threading.RLock()
        self._cache_lock = threading.Lock()
        atexit.register(self.stop)

    @property
    def running(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's process id, while it runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def start(self) -> str:
        """Start the server (once) and return its endpoint URL."""
        if self.running and self.endpoint:
            return self.endpoint
        with self._lock:
            if self.running and self.endpoint:
                return self.endpoint
            if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
                raise LambdaNBError("The local AWS needs moto[server] and boto3: pip install 'moto[server]' boto3.")
            self._forget()
            self._home = tempfile.TemporaryDirectory(prefix="lambdanb-local-aws-")
            leftovers.hold(Path(self._home.name))  # removed by the next kernel if this one dies without cleaning up
            self._kernel_key = secrets.token_urlsafe(32)
            key_id = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
            self._admin = {"aws_access_key_id": key_id, "aws_secret_access_key": secrets.token_urlsafe(30)}
            # The kernel opens the socket, so the endpoint is known (and no other process can take the port) while
            # the server boots; calls made meanwhile wait in the socket's queue.
            with socket.create_server(("127.0.0.1", 0), backlog=128) as listener:
                self.endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"
                # The write end of stdin stays with the kernel alone (close-on-exec): its end of file tells the
                # server that the kernel has gone, however it went. Secrets travel in the pipe, never in argv or
                # environ, which any process of the user's can read.
                self._process = subprocess.Popen(
                    [sys.executable, "-I", SERVER_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL, env=_server_environ(self._home.name), cwd=self._home.name,
                    start_new_session=True, pass_fds=(listener.fileno(),))
                config = {"listen_fd": listener.fileno(), "kernel_key": self._kernel_key, "admin_user": ADMIN_USER,
                          "access_key_id": key_id, "secret_access_key": self._admin["aws_secret_access_key"],
                          "sys_path": [entry for entry in sys.path if entry]}
                assert self._process.stdin is not None  # made with stdin=PIPE
                try:
                    self._process.stdin.write(json.dumps(config).encode() + b"\n")
                    self._process.stdin.flush()
                except BrokenPipeError:
                    pass  # the server has gone already: _read_answer tells
            for service_name in PREPARED_CLIENTS:
                self._cached_client(service_name)
            answer = self._read_answer()
            if "error" in answer:
                self.stop()
                raise LambdaNBError(f"The local AWS did not start: {answer['error']}")
            if self._lambda_url is not None:
                self._send_lambda_route()
            return str(self.endpoint)

    def _read_answer(self, seconds: float = 60) -> dict[str, Any]:
        """The server's one line: ready, or why it could not start."""
        assert self._process is not None and self._process.stdout is not None  # started with stdout=PIPE
        out = self._process.stdout
        ready, _, _ = select.select([out], [], [], seconds)
        line = out.readline() if ready else b""
        if not line:
            self.stop()
            if ready:
                raise LambdaNBError("The local AWS stopped as it started.")
            raise LambdaNBError(f"The local AWS did not answer within {seconds:.0f} seconds.")
        return json.loads(line)

    def route_lambda_to(self, url: str | Callable[[], str] | None) -> None:
        """Send the Lambda API that reaches the local AWS (from the notebook or from functions), and the invokes
        moto makes itself (S3 notifications, SNS subscriptions), to lambdanb's Lambda endpoint at url, or at the URL
        a function gives once the local AWS runs (so that the endpoint starts with it); None: answer that it is
        not running."""
        if isinstance(url, str) and not url.startswith("http://"):
            raise LambdaNBError(f"The Lambda endpoint must be an http:// URL, not {url!r}.")
        with self._lock:
            self._lambda_url = url
            if self.running:
                self._send_lambda_route()

    def _send_lambda_route(self) -> None:
        url = self._lambda_url() if callable(self._lambda_url) else self._lambda_url
        self._ask(LAMBDA_ROUTE_PATH, (url or "").encode())

    def control(self, path: str, body: bytes | None = None) -> bytes:
        """A call to moto's own API (/moto-api/...), which answers the kernel alone."""
        self.start()
        return self._ask(f"/moto-api/{path.lstrip('/')}", body)

    def scheduled_lambda_targets(self) -> list[dict[str, Any]]:
        """The schedules (EventBridge rules and Scheduler schedules) with Lambda targets, read by the kernel alone."""
        found: list[dict[str, Any]] = self._read_kernel_only(local_aws_server.SCHEDULES_PATH)
        return found

    def api_routes(self, api_id: str) -> dict[str, Any] | None:
        """An API Gateway API's stages, resources or routes and integrations (local_aws_server.api_routes), read by
        the kernel alone; None when there is no such API."""
        self.start()
        found: dict[str, Any] | None = self._read_kernel_only(
            local_aws_server.APIS_PATH + urllib.parse.quote(api_id, safe=""))
        return found

    def lambda_triggers(self) -> list[dict[str, Any]]:
        """Every configuration in the local AWS that invokes a function (local_aws_server.lambda_triggers)."""
        found: list[dict[str, Any]] = self._read_kernel_only(local_aws_server.TRIGGERS_PATH)
        return found

    def _read_kernel_only(self, path: str, body: bytes | None = None) -> Any:
        """What the local AWS answers the kernel alone at path, decoded from JSON."""
        return json.loads(self._ask(path, body))

    def _ask(self, path: str, body: bytes | None = None) -> bytes:
        """A request with the kernel's key (GET, or POST with a body). urllib.request (with http.client, email and
        ssl) is imported here, when the local AWS is used, rather than with lambdanb's API."""
        import urllib.request
        request = urllib.request.Request(f"{self.endpoint}{path}", data=body,
                                         headers={KERNEL_KEY_HEADER: self._kernel_key})
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())

    def stop(self) -> None:
        with self._lock:
            process, self._process = self._process, None
            if process is not None:
                try:
                    if process.stdin is not None:
                        process.stdin.close()
                except BrokenPipeError:
                    pass  # the server has gone already
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            if self._home is not None:
                self._home.cleanup()
                self._home = None
            self._forget()

    def _forget(self) -> None:
        """What belonged to the last server: its clients and the credentials it issued."""
        with self._cache_lock:
            self._clients.clear()
            self._credentials.clear()

    def client(self, service_name: str, **options: Any) -> Any:
        """A new boto3 client for the local AWS, with the notebook's administrator credentials."""
        self.start()
        return self._new_client(service_name, **options)

    def _new_client(self, service_name: str, **options: Any) -> Any:
        import boto3
        return boto3.client(service_name, endpoint_url=self.endpoint, region_name=REGION, **self._admin, **options)

    def shared_client(self, service_name: str) -> Any:
        """One administrator client per service for lambdanb's own calls (boto3 clients are thread-safe)."""
        self.start()
        return self._cached_client(service_name)

    def _cached_client(self, service_name: str) -> Any:
        with self._cache_lock:
            found = self._clients.get(service_name)
        if found is None:
            found = self._new_client(service_name)
            with self._cache_lock:
                found = self._clients.setdefault(service_name, found)
        return found

    def create_role(self, name: str, managed_policies: Sequence[str] = (),
                    inline_policies: dict[str, Any] | None = None) -> str:
        """CreateRole with Lambda's trust policy; managed policies by name or ARN, inline ones as documents."""
        iam = self.shared_client("iam")
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
        iam = self.shared_client("iam")
        try:
            return iam.get_role(RoleName=name.rsplit("/", 1)[-1])["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            raise LambdaNBError(f"There is no role named {name}: create it with lambdanb.aws.create_role "
                                "or %lambda role create.") from None

    def credentials(self, role_arn: str) -> dict[str, str]:
        """The role's temporary credentials (STS AssumeRole), as Lambda puts them in the environment; cached until
        ten minutes before they expire. STS is asked outside any lock, so a slow answer holds up no other invoke."""
        with self._cache_lock:
            cached = self._credentials.get(role_arn)
        if cached and cached[0] > time.time() + 600:
            return cached[1]
        try:
            found = self._read_kernel_only(local_aws_server.ROLE_SESSION_PATH, role_arn.encode())
        except urllib.error.HTTPError as refused:
            raise LambdaNBError(json.loads(refused.read())["Message"]) from None
        credentials = {"AWS_ACCESS_KEY_ID": found["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": found["SecretAccessKey"],
                       "AWS_SESSION_TOKEN": found["SessionToken"]}
        with self._cache_lock:
            self._credentials[role_arn] = (time.time() + found["DurationSeconds"], credentials)
        return credentials

    def role_allows(self, role_arn: str, action: str) -> bool:
        """Whether the role's policies allow an action (Allow statements, with Deny winning), resource aside."""
        iam = self.shared_client("iam")
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

    def send_to_queue(self, queue_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
        """SendMessage to the queue an SQS ARN names (a destination or a dead-letter queue)."""
        sqs = self.shared_client("sqs")
        name = queue_arn.rsplit(":", 1)[-1]
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=body, **({"MessageAttributes": attributes} if attributes else {}))


def managed_policy_arn(policy: str) -> str:
    if policy.startswith("arn:"):
        return policy
    if policy.startswith("AWSLambda") and "Role" in policy:
        return f"arn:aws:iam::aws:policy/service-role/{policy}"
    return f"arn:aws:iam::aws:policy/{policy}"


def _server_environ(home: str) -> dict[str, str]:
    """The server's whole environment: nothing of the kernel's but PATH and the locale; a private HOME, so that no
    AWS credentials or configuration of the user's reach moto's process."""
    return {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": home, "TMPDIR": home,
            "LANG": "C.UTF-8", "AWS_EC2_METADATA_DISABLED": "true"}


local = LocalAWS()


def client(service_name: str, **options: Any) -> Any:
    """lambdanb.aws.client("s3") and friends: boto3 clients for the local AWS."""
    return local.client(service_name, **options)


def create_role(name: str, managed_policies: Sequence[str] = (), inline_policies: dict[str, Any] | None = None) -> str:
    return local.create_role(name, managed_policies, inline_policies)


def send_to_queue(queue_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
    local.send_to_queue(queue_arn, body, attributes)


def endpoint() -> str:
    return local.start()
