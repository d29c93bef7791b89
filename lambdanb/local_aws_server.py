"""The local AWS's own process: moto's AWS APIs behind a front door that keeps moto's control API for the kernel,
sends the Lambda API to lambdanb, and exits as soon as the kernel has gone.

lambdanb.aws runs this file in isolated mode (it imports nothing of lambdanb), hands it a listening socket, and
speaks to it over two pipes: one JSON line in on stdin (the socket's descriptor, the kernel's key for the control
API, the administrator's name and access key, the kernel's sys.path), one JSON line out on stdout (ready, or why
not). stdin then stays open for the kernel's lifetime: its end of file is the kernel's death, by exit, signal or
SIGKILL alike.
"""
from __future__ import annotations

import hashlib
import hmac
import http
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

KERNEL_KEY_HEADER = "X-Lambdanb-Kernel-Key"
# Who signed a Lambda API request, as the front door checked it: for lambdanb's Lambda to authorize the call.
CALLER_HEADER = "X-Lambdanb-Caller-Arn"
LAMBDA_ROUTE_PATH = "/moto-api/lambdanb/lambda-endpoint"
SCHEDULES_PATH = "/moto-api/lambdanb/schedules"  # the kernel reads the schedules with Lambda targets here
APIS_PATH = "/moto-api/lambdanb/apis/"  # + an API's id: the kernel reads an API Gateway API's routes here
TRIGGERS_PATH = "/moto-api/lambdanb/triggers"  # the kernel reads every service's Lambda triggers here
ROLE_SESSION_PATH = "/moto-api/lambdanb/role-session"  # the kernel assumes a function's role here, as Lambda does
# Who invokes a function on a service's behalf, for lambdanb's Lambda to check the function's resource policy.
PRINCIPAL_HEADER = "X-Lambdanb-Source-Principal"
SOURCE_ARN_HEADER = "X-Lambdanb-Source-Arn"
SOURCE_ACCOUNT_HEADER = "X-Lambdanb-Source-Account"
KERNEL_ONLY_SERVICES = frozenset({"moto_api", "instance_metadata"})
# moto's services that invoke Lambda themselves; SQS, Kinesis and DynamoDB do so only for moto's own event source
# mappings, which cannot exist here (the Lambda API is lambdanb's).
CALLS_LAMBDA = frozenset({"s3", "sns", "events", "logs", "secretsmanager", "cloudformation", "config",
                          "stepfunctions", "ses"})
NOT_RUNNING = ("lambdanb's Lambda service is not running in this kernel: it starts with the first lambdanb call "
               "(a %%lambda cell, or lambdanb.lambda_service()).")
# botocore retries 500, 502, 503 and 504 answers; waiting would not start the endpoint, so "not running" is a 501.
REFUSED = "The local AWS serves the AWS APIs only; moto's own API answers the notebook's kernel alone."
WARM_SERVICES = ("sts", "s3", "sqs", "iam", "dynamodb", "kinesis")
# Not readied in advance: Step Functions' interpreter takes 0.7 s to import, and few notebooks use it.
SET_UP_WHEN_USED = frozenset({"stepfunctions"})
# Lambda may run for 900 s; a synchronous invoke passed through waits for it.
FORWARD_TIMEOUT_S = 960
# Hop-by-hop headers, and those each side's HTTP server writes for itself.
NOT_FORWARDED = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                           "transfer-encoding", "upgrade", "host", "content-length", "server", "date",
                           CALLER_HEADER.lower(), KERNEL_KEY_HEADER.lower(), PRINCIPAL_HEADER.lower(),
                           SOURCE_ARN_HEADER.lower(), SOURCE_ACCOUNT_HEADER.lower()})

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class LambdaRoute:
    """Where the kernel's Lambda endpoint listens, if it runs; the kernel sets it through the front door."""

    url: str | None = None

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes,
             timeout: float = FORWARD_TIMEOUT_S) -> tuple[int, list[tuple[str, str]], bytes]:
        """One HTTP request to the kernel's Lambda endpoint; target is the path with its query."""
        import http.client  # here: the kernel imports this module for its names, and needs no HTTP client then
        parts = urllib.parse.urlsplit(self.url or "")
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in NOT_FORWARDED]
            return response.status, kept, data
        finally:
            connection.close()

    def invoke_async(self, function: str, qualifier: str | None, payload: bytes, principal: str,
                     source_arn: str) -> bool:
        """An Event invoke of a function (name or ARN) with the payload moto built, on behalf of a service
        principal (s3.amazonaws.com...) for a source (the bucket, topic or rule); lost when Lambda is not up or the
        function's policy does not allow the principal, as such a delivery is lost on AWS. Whether it was taken."""
        if self.url is None:
            return False
        try:
            status = self.invoke_as(function, qualifier, payload, "Event", principal, source_arn)
        except OSError as error:
            print(f"lambdanb: an event for {function} was not delivered: {error}", file=sys.stderr)
            return False
        if status == 403:
            print(f"lambdanb: {principal} may not invoke {function} (its resource policy does not allow "
                  f"{source_arn}); the event was not delivered.", file=sys.stderr)
        return status < 300

    def may_invoke(self, function: str, principal: str, source_arn: str) -> bool:
        """Whether the function exists and its resource policy lets the principal invoke it for the source (a
        DryRun invoke, which Lambda authorizes like any other); True when Lambda is not up to say."""
        if self.url is None:
            return True
        try:
            return self.invoke_as(function, None, b"{}", "DryRun", principal, source_arn) < 300
        except OSError:
            return True

    def invoke_as(self, function: str, qualifier: str | None, payload: bytes, invocation_type: str, principal: str,
                  source_arn: str) -> int:
        name, qualifier = split_function(function, qualifier)
        target = f"/2015-03-31/functions/{urllib.parse.quote(name, safe='')}/invocations"
        if qualifier:
            target += f"?Qualifier={urllib.parse.quote(qualifier, safe='')}"
        account = source_arn.split(":")[4] if source_arn.count(":") >= 5 else ""
        headers = {"X-Amz-Invocation-Type": invocation_type, "Content-Type": "application/json",
                   PRINCIPAL_HEADER: principal, SOURCE_ARN_HEADER: source_arn,
                   SOURCE_ACCOUNT_HEADER: account or default_account()}
        return self.send("POST", target, headers, payload, timeout=30)[0]


def default_account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID
    return str(DEFAULT_ACCOUNT_ID)


def split_function(function: str, qualifier: str | None) -> tuple[str, str | None]:
    """(name, qualifier) from a function's name or ARN (arn:aws:lambda:region:account:function:name[:qualifier])."""
    parts = function.split(":")
    if function.startswith("arn:") and len(parts) >= 7:
        return parts[6], parts[7] if len(parts) > 7 else qualifier
    return function, qualifier


@dataclass
class KernelFunction:
    """What moto's services get as 'the function': invoking it is an async invoke in the kernel's Lambda."""

    arn: str
    qualifier: str | None
    route: LambdaRoute

    def invoke(self, body: str, request_headers: Any = None, response_headers: Any = None) -> None:
        payload = s3_event_as_aws_sends_it(body.encode() if isinstance(body, str) else body)
        self.route.invoke_async(self.arn, self.qualifier, payload, "s3.amazonaws.com", s3_source_arn(payload))


def s3_source_arn(payload: bytes) -> str:
    """The bucket an S3 event comes from, as the SourceArn S3 invokes with (arn:aws:s3:::bucket)."""
    try:
        return str(json.loads(payload)["Records"][0]["s3"]["bucket"]["arn"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def s3_event_as_aws_sends_it(payload: bytes) -> bytes:
    """moto's S3 event with what AWS's has and moto's lacks: the key encoded as S3 encodes it (a space as +, the
    slashes kept), and the identity, request and sequencer fields. Other events pass unchanged."""
    try:
        event = json.loads(payload)
        records = event["Records"]
        if not all(record.get("eventSource") == "aws:s3" for record in records):
            return payload
    except (ValueError, KeyError, TypeError, AttributeError):
        return payload
    for record in records:
        s3 = record["s3"]
        key = urllib.parse.unquote_plus(s3["object"]["key"])
        s3["object"]["key"] = urllib.parse.quote_plus(key, safe="/")
        s3["object"].setdefault("sequencer", hashlib.sha256(key.encode()).hexdigest()[:18].upper())
        s3["bucket"].setdefault("ownerIdentity", {"principalId": "LAMBDANB"})
        record.setdefault("userIdentity", {"principalId": "AWS:LAMBDANB"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {"x-amz-request-id": secrets.token_hex(8).upper(),
                                               "x-amz-id-2": secrets.token_hex(16)})
    return json.dumps(event).encode()


@dataclass
class KernelLambda:
    """Stands in for moto's Lambda backend inside this process: every function exists (the kernel's Lambda decides),
    and every invoke moto makes (S3 notifications, SNS subscriptions, Lambda targets of AWS services' EventBridge
    events) goes to the kernel."""

    route: LambdaRoute

    def get_function(self, function_name_or_arn: str, qualifier: str | None = None) -> KernelFunction:
        return KernelFunction(function_name_or_arn, qualifier, self.route)

    def get_function_by_name_or_arn_with_qualifier(self, name: str, qualifier: str | None = None) -> KernelFunction:
        return self.get_function(name, qualifier)

    @property
    def _lambdas(self) -> KernelLambda:
        # moto's send_sns_message finds the function through the backend's _lambdas registry.
        return self

    def invoke(self, function_name: str, qualifier: str | None, body: Any, headers: Any = None,
               response_headers: Any = None) -> None:
        # moto calls this for AWS services' own events matched by EventBridge rules (it does not say which rule).
        payload = body.encode() if isinstance(body, str) else body
        self.route.invoke_async(function_name, qualifier, payload, "events.amazonaws.com", "")

    def send_sns_message(self, function_name: str, message: str, subject: str | None = None,
                         qualifier: str | None = None) -> None:
        from moto.awslambda.models import LambdaBackend
        LambdaBackend.send_sns_message(self, function_name, message, subject=subject,  # type: ignore[arg-type]
                                       qualifier=qualifier)


@dataclass(eq=False)
class Once:
    """Start-up work done once, by whichever thread needs it first; a failure is tried again by the next."""

    work: Callable[[], None]
    done: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> None:
        if self.done:
            return
        with self.lock:
            if not self.done:
                self.work()
                self.done = True


@dataclass
class FrontDoor:
    """The WSGI application every caller reaches: moto's dispatcher for the AWS APIs, the kernel's Lambda for the
    Lambda API, and moto's control API (and instance metadata) only with the kernel's key."""

    dispatcher: Any
    kernel_key: str
    route: LambdaRoute = field(default_factory=LambdaRoute)
    # Work a service needs done before its first request (moto's Lambda replaced, AWS's managed policies loaded).
    before: dict[str, Once] = field(default_factory=dict)
    answered: threading.Event = field(default_factory=threading.Event)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self.dispatch(environ, start_response)
        finally:
            if not self.answered.is_set():
                self.answered.set()

    def dispatch(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if signing_service(environ) == "lambda":
            return self.forward_to_lambda(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path == LAMBDA_ROUTE_PATH and self.from_kernel(environ):
            return self.set_lambda_route(environ, start_response)
        if path == SCHEDULES_PATH and self.from_kernel(environ):
            return respond(start_response, 200, "application/json", json.dumps(scheduled_lambda_targets()).encode())
        if path == TRIGGERS_PATH and self.from_kernel(environ):
            return respond(start_response, 200, "application/json", json.dumps(lambda_triggers()).encode())
        if path == ROLE_SESSION_PATH and self.from_kernel(environ):
            status, answer = lambda_role_session(read_body(environ).decode())
            return respond(start_response, status, "application/json", json.dumps(answer).encode())
        if path.startswith(APIS_PATH) and self.from_kernel(environ):
            return respond(start_response, 200, "application/json",
                           json.dumps(api_routes(path.removeprefix(APIS_PATH))).encode())
        application = self.dispatcher.get_application(environ)
        service = getattr(application, "service", None)
        if service in KERNEL_ONLY_SERVICES and not self.from_kernel(environ):
            return respond(start_response, 403, "text/plain", REFUSED.encode())
        if service in self.before:
            self.before[service]()
        return application(environ, start_response)

    def from_kernel(self, environ: dict[str, Any]) -> bool:
        offered = environ.get("HTTP_" + KERNEL_KEY_HEADER.upper().replace("-", "_"), "")
        return hmac.compare_digest(offered.encode(), self.kernel_key.encode())

    def set_lambda_route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        url = read_body(environ).decode().strip() or None
        if url is not None and urllib.parse.urlsplit(url).scheme != "http":
            return respond(start_response, 400, "text/plain", b"The Lambda endpoint must be an http:// URL.")
        self.route.url = url
        return respond(start_response, 204, "text/plain", b"")

    def forward_to_lambda(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        target = environ.get("RAW_URI") or environ.get("PATH_INFO", "/")
        body = read_body(environ)
        try:
            caller = signer_arn(environ["REQUEST_METHOD"], target, headers, body)
        except Refused as refused:
            return lambda_error(start_response, 403, refused.code, refused.message)
        if self.route.url is None:
            return lambda_error(start_response, 501, "ServiceUnavailableException", NOT_RUNNING)
        forwarded = {name: value for name, value in headers.items() if name.lower() not in NOT_FORWARDED}
        forwarded[CALLER_HEADER] = caller
        try:
            status, reply, data = self.route.send(environ["REQUEST_METHOD"], target, forwarded, body)
        except ConnectionRefusedError:
            return lambda_error(start_response, 501, "ServiceUnavailableException", NOT_RUNNING)
        except OSError as error:
            message = f"lambdanb's Lambda API did not answer: {error}"
            return lambda_error(start_response, 502, "ServiceException", message)
        start_response(status_line(status), reply + [("Content-Length", str(len(data)))])
        return [data]


def lambda_role_session(role_arn: str) -> tuple[int, dict[str, Any]]:
    """Lambda's own AssumeRole of a function's role: allowed when the role's trust policy lets the service principal
    lambda.amazonaws.com assume it (the notebook is not the caller on AWS, so moto's check of the caller is not
    asked). Returns the status and the credentials, or {"Message": ...}."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    try:
        role = iam_backends[default_account()]["aws"].get_role_by_arn(role_arn)
    except Exception:  # moto's IAMNotFoundException, or an ARN it cannot read
        return 404, {"Message": f"There is no role {role_arn}."}
    if not trusts_lambda(json.loads(urllib.parse.unquote(role.assume_role_policy_document))):
        return 400, {"Message": "The role defined for the function cannot be assumed by Lambda."}
    duration = int(role.max_session_duration or 3600)
    session = sts_backends[default_account()]["aws"].assume_role(
        region_name="us-east-1", role_session_name="lambdanb", role_arn=role_arn, policy="",
        duration=duration, external_id="")
    return 200, {"AccessKeyId": session.access_key_id, "SecretAccessKey": session.secret_access_key,
                 "SessionToken": session.session_token, "DurationSeconds": duration}


def trusts_lambda(trust_policy: dict[str, Any]) -> bool:
    """Whether a trust policy allows lambda.amazonaws.com to sts:AssumeRole (conditions aside)."""
    def listed(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    for statement in listed(trust_policy.get("Statement", [])):
        principals = statement.get("Principal", {})
        services = listed(principals.get("Service", [])) if isinstance(principals, dict) else []
        if (statement.get("Effect") == "Allow" and "lambda.amazonaws.com" in services
                and any(action in ("sts:AssumeRole", "sts:*", "*") for action in listed(statement.get("Action", [])))):
            return True
    return False


def scheduled_lambda_targets(every_state: bool = False) -> list[dict[str, Any]]:
    """The enabled (or all) EventBridge rules with a ScheduleExpression and EventBridge Scheduler schedules, one
    entry per Lambda target: {"kind": "rule" or "schedule", "arn", "expression", "state", "target"}."""
    from moto.events.models import events_backends
    from moto.scheduler.models import scheduler_backends
    found = []
    for events in events_backends[default_account()].values():
        for bus in events.event_buses.values():
            for rule in bus.rules.values():
                if rule.scheduled_expression and (every_state or rule.state == "ENABLED"):
                    found += [{"kind": "rule", "arn": rule.arn, "expression": rule.scheduled_expression,
                               "state": rule.state, "target": target}
                              for target in rule.targets if ":lambda:" in target["Arn"]]
    for scheduler in scheduler_backends[default_account()].values():
        for group in scheduler.schedule_groups.values():
            for schedule in group.schedules.values():
                if (every_state or schedule.state == "ENABLED") and ":lambda:" in schedule.target["Arn"]:
                    found.append({"kind": "schedule", "arn": schedule.arn, "expression": schedule.schedule_expression,
                                  "state": schedule.state, "target": schedule.target})
    return found


def lambda_triggers() -> list[dict[str, Any]]:
    """Every configuration in the local AWS that invokes a function, as the console's triggers list shows them:
    {"Type", "FunctionArn", "Source" (the bucket, topic, rule, schedule or API's ARN), "Detail"}."""
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends
    from moto.s3.models import s3_backends
    from moto.sns.models import sns_backends
    account = default_account()
    found: list[dict[str, Any]] = []
    for s3 in s3_backends[account].values():
        for bucket in s3.buckets.values():
            configuration = bucket.notification_configuration
            for notification in configuration.cloud_function if configuration else []:
                rules = {r["Name"]: r["Value"] for r in notification.filters.get("S3Key", {}).get("FilterRule", [])}
                detail = ", ".join(notification.events) + "".join(f", {k} {v}" for k, v in sorted(rules.items()))
                found.append({"Type": "S3", "FunctionArn": notification.arn, "Source": bucket.arn, "Detail": detail})
    for sns in sns_backends[account].values():
        for subscription in sns.subscriptions.values():
            if subscription.protocol == "lambda":
                policy = subscription.attributes.get("FilterPolicy")
                found.append({"Type": "SNS", "FunctionArn": subscription.endpoint, "Source": subscription.topic.arn,
                              "Detail": f"filter policy {policy}" if policy else "every message"})
    for entry in scheduled_lambda_targets(every_state=True) + event_pattern_targets():
        kind = "EventBridge Scheduler" if entry["kind"] == "schedule" else "EventBridge"
        found.append({"Type": kind, "FunctionArn": entry["target"]["Arn"], "Source": entry["arn"],
                      "Detail": f"{entry['expression']} ({entry['state']})"})
    for region, rest_backend in apigateway_backends[account].items():
        for api_id, rest in rest_backend.apis.items():
            for resource in rest.resources.values():
                for method, m in resource.resource_methods.items():
                    uri = m.method_integration.uri if m.method_integration else ""
                    if uri and ":lambda:" in uri:
                        found.append({"Type": "API Gateway", "FunctionArn": invoked_function(uri),
                                      "Detail": f"{method} {resource.get_path()} (REST API {rest.name})",
                                      "Source": f"arn:aws:execute-api:{region}:{account}:{api_id}"})
    for region, http_backend in apigatewayv2_backends[account].items():
        for api in http_backend.apis.values():
            uris = {f"integrations/{i.id}": i.integration_uri for i in api.integrations.values()}
            for route in api.routes.values():
                uri = uris.get(route.target or "") or ""
                if ":lambda:" in uri:
                    found.append({"Type": "API Gateway", "FunctionArn": invoked_function(uri),
                                  "Detail": f"{route.route_key} (HTTP API {api.name})",
                                  "Source": f"arn:aws:execute-api:{region}:{account}:{api.api_id}"})
    return found


def invoked_function(uri: str) -> str:
    """The function's ARN in an API Gateway integration URI (.../2015-03-31/functions/ARN/invocations)."""
    return uri.split("/functions/", 1)[1].removesuffix("/invocations") if "/functions/" in uri else uri


def event_pattern_targets() -> list[dict[str, Any]]:
    """The EventBridge rules with an event pattern, one entry per Lambda target."""
    from moto.events.models import events_backends
    return [{"kind": "rule", "arn": rule.arn, "expression": f"pattern {rule.event_pattern.dump()}",
             "state": rule.state, "target": target}
            for events in events_backends[default_account()].values() for bus in events.event_buses.values()
            for rule in bus.rules.values() if not rule.scheduled_expression
            for target in rule.targets if ":lambda:" in target["Arn"]]


class Refused(Exception):
    """A request whose signature the front door does not accept, with Lambda's error code for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def signer_arn(method: str, target: str, headers: dict[str, str], body: bytes) -> str:
    """The ARN of whoever signed a request (a user, or a role's session), with the signature checked by moto's IAM
    as for any other service's request."""
    from moto.core.exceptions import InvalidClientTokenIdError, SignatureDoesNotMatchError
    from moto.iam.access_control import IAMRequest
    try:
        request = IAMRequest(account_id=default_account(), method=method, path=target, data={}, body=body,
                             headers=headers, action="")
        request.check_signature()
    except InvalidClientTokenIdError as error:
        raise Refused("UnrecognizedClientException", error.message) from None
    except SignatureDoesNotMatchError as error:
        raise Refused("InvalidSignatureException", error.message) from None
    except (KeyError, IndexError, ValueError):
        raise Refused("IncompleteSignatureException", "The request is not signed with Signature Version 4.") from None
    return request._access_key.arn


def status_line(status: int) -> str:
    """'404 Not Found': the status line of an HTTP answer."""
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} "


def lambda_error(start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
    """An error as Lambda's API writes one, which boto3 raises as code with message."""
    body = json.dumps({"Type": "User" if status < 500 else "Service", "message": message}).encode()
    start_response(status_line(status),
                   [("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                    ("Content-Length", str(len(body)))])
    return [body]


def signing_service(environ: dict[str, Any]) -> str | None:
    """The service a SigV4 request is signed for: 'lambda' in Credential=KEY/DATE/REGION/lambda/aws4_request."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    start = authorization.find("Credential=")
    if start < 0:
        return None
    scope = authorization[start + len("Credential="):].split(",", 1)[0].split("/")
    return scope[3].strip().lower() if len(scope) == 5 else None


def read_body(environ: dict[str, Any]) -> bytes:
    """The request's body: Content-Length bytes, or a chunked body to its end; else none (reading on would wait for
    the client to hang up)."""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return environ["wsgi.input"].read(int(length))
    return environ["wsgi.input"].read() if environ.get("wsgi.input_terminated") else b""


def respond(start_response: StartResponse, status: int, content_type: str, body: bytes) -> list[bytes]:
    start_response(status_line(status), [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def exit_when_kernel_ends() -> None:
    """Reads stdin to its end, which comes only when every copy of the kernel's end of the pipe is closed."""
    while os.read(0, 65536):
        pass
    os._exit(0)


def make_administrator(admin_user: str, access_key_id: str, secret_access_key: str) -> Any:
    """The notebook's administrator, made directly in moto's IAM backend (no request to answer, none to forge),
    with AdministratorAccess's document inline: AWS's managed policies load later (load_managed_policies)."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "false"
    # moto looks every access key up in every partition's IAM: made now, while they are cheap to make.
    for partition in PARTITION_NAMES:
        iam_backends[default_account()][partition]
    iam = iam_backends[default_account()]["aws"]
    iam.create_user("us-east-1", admin_user)
    iam.put_user_policy(admin_user, "AdministratorAccess", json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(admin_user)
    del iam.access_keys[key.access_key_id]
    key.access_key_id, key.secret_access_key = access_key_id, secret_access_key
    iam.access_keys[access_key_id] = key
    return iam


def load_managed_policies(iam: Any) -> None:
    """AWS's managed policies (AWSLambdaBasicExecutionRole and ~1,500 more, 0.1 s to parse) into the aws
    partition's IAM, and into every account's made from now on."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    iam.aws_managed_policies = iam._init_aws_policies()
    iam.managed_policies.update(iam._init_managed_policies())


def authorize_dynamodb_by_table() -> None:
    """DynamoDB requests are authorized against the table they name, as on AWS (moto checks them against "*"
    alone), so a role scoped to one table's ARN may use that table and no other."""
    from moto.dynamodb.responses import DynamoHandler

    def table_arn(handler: DynamoHandler) -> str:
        request = handler.body  # moto's DynamoDB handler has parsed it into a dict by now
        if not isinstance(request, dict):
            return "*"
        tables = list(request.get("RequestItems") or {}) or [request.get("TableName")]
        if len(tables) != 1 or not isinstance(tables[0], str):
            return "*"  # a request naming no table (ListTables) or several
        if tables[0].startswith("arn:"):
            return tables[0]
        return f"arn:aws:dynamodb:{handler.region}:{handler.current_account}:table/{tables[0]}"

    DynamoHandler._determine_resource = table_arn  # type: ignore[attr-defined]


def receive_sqs_in_linear_time() -> None:
    """moto's ReceiveMessage worked out every attribute of the queue (counting all its messages, with datetime
    arithmetic per message) for each message it returned, and DeleteMessage walked the whole queue twice per
    message: a backlog of 10,000 messages took seconds per call. The retention check reads its one attribute, a
    delete stops at the message it deletes (received messages are near the front), and SQS tells the time with
    time.time(), the same clock."""
    from moto.sqs import models
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    def delete_message(queue: Any, receipt_handle: str) -> None:
        if receipt_handle in queue.deleted_messages:
            return  # deleting twice is allowed
        messages = queue._messages
        index = next((i for i, m in enumerate(messages)
                      if receipt_handle == m.receipt_handle or receipt_handle in m._old_receipt_handles), None)
        if index is None:
            raise ReceiptHandleIsInvalid()
        message = messages[index]
        queue.pending_messages.discard(message)
        queue.deleted_messages.update(message.all_receipt_handles)
        queue._messages = messages[:index] + messages[index + 1:]  # a new list, as moto makes one

    def retained(backend: Any, queue_name: str, message: Any) -> bool:
        return backend.get_queue(queue_name).message_retention_period + message.sent_timestamp / 1000 > time.time()

    def now_ms() -> float:
        return time.time() * 1000

    models.Queue.delete_message = delete_message  # type: ignore[assignment,method-assign]
    models.SQSBackend.is_message_valid_based_on_retention_period = retained  # type: ignore[assignment,method-assign]
    models.unix_time = time.time  # type: ignore[assignment]  # moto's SQS calls both without arguments
    models.unix_time_millis = now_ms  # type: ignore[assignment]


def install_kernel_lambda(route: LambdaRoute) -> None:
    """Puts KernelLambda where moto's services look Lambda up, and lets SNS's lambda subscriptions send SNS's event."""
    from moto.awslambda import utils
    from moto.sns.models import Subscription
    kernel_lambda = KernelLambda(route)
    utils.get_backend = lambda account_id, region: kernel_lambda  # type: ignore[assignment,return-value]
    publish = Subscription.publish

    def publish_to_lambda(subscription: Subscription, message: str, message_id: str, subject: str | None = None,
                          message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                          deduplication_id: str | None = None, message_structure: str | None = None) -> None:
        if subscription.protocol != "lambda":
            publish(subscription, message, message_id, subject, message_attributes, group_id, deduplication_id,
                    message_structure)
            return
        matcher = subscription._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return
        if message_structure == "json":
            message = subscription._parse_message_structure(message, "lambda")
        event = sns_event(subscription, subscription.get_post_data(message, message_id, subject, message_attributes))
        route.invoke_async(subscription.endpoint, None, json.dumps(event).encode(), "sns.amazonaws.com",
                           subscription.topic.arn)

    Subscription.publish = publish_to_lambda  # type: ignore[method-assign,assignment]
    install_eventbridge_to_lambda(route)
    install_s3_destination_check(route)


def install_s3_destination_check(route: LambdaRoute) -> None:
    """S3 refuses a notification configuration whose functions do not let s3.amazonaws.com invoke them for the
    bucket, with AWS's error, and keeps the configuration it had."""
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import FakeBucket
    set_configuration = FakeBucket.set_notification_configuration

    def set_checked(bucket: FakeBucket, notification_config: dict[str, Any] | None) -> None:
        before = bucket.notification_configuration
        set_configuration(bucket, notification_config)
        functions = bucket.notification_configuration.cloud_function if bucket.notification_configuration else []
        refused = [f.arn for f in functions if not route.may_invoke(f.arn, "s3.amazonaws.com", bucket.arn)]
        if refused:
            bucket.notification_configuration = before
            raise S3ClientError("InvalidArgument", "Unable to validate the following destination configurations")

    FakeBucket.set_notification_configuration = set_checked  # type: ignore[method-assign,assignment]


def install_bodiless_signatures() -> None:
    """moto checks the signature of a GET or DELETE without a body (API Gateway's, Scheduler's) as if its headers
    were the body, and refuses every such request once IAM is enforced: their signed body is empty. (A
    query-protocol POST, whose form moto has read already, keeps its form as the body.)"""
    from moto.iam.access_control import IAMRequestBase
    create_aws_request = IAMRequestBase._create_aws_request

    def with_its_own_body(request: IAMRequestBase) -> Any:
        if not request._body and request._method in ("GET", "HEAD", "DELETE"):
            request._data = {}
        return create_aws_request(request)

    IAMRequestBase._create_aws_request = with_its_own_body  # type: ignore[method-assign,assignment]


def install_http_api_quick_create() -> None:
    """apigatewayv2 create_api with Target (quick create, which moto ignores) makes what AWS makes: a Lambda proxy
    integration with payload format 2.0, the route (RouteKey, else $default) and the auto-deployed $default stage."""
    from moto.apigatewayv2.responses import ApiGatewayV2Response
    create_api = ApiGatewayV2Response.create_api

    def create_api_with_target(response: ApiGatewayV2Response) -> Any:
        status, headers, body = create_api(response)
        params = json.loads(response.body)
        if params.get("target") and params.get("protocolType") == "HTTP":
            api = response.apigatewayv2_backend.get_api(json.loads(body)["apiId"])
            integration = api.create_integration(connection_type="INTERNET", description="", integration_method="POST",
                                                 integration_type="AWS_PROXY", integration_uri=params["target"],
                                                 payload_format_version="2.0")
            api.create_route(api_key_required=False, authorization_scopes=[],
                             route_key=params.get("routeKey") or "$default",
                             target=f"integrations/{integration.id}")
            api.create_stage({"stageName": "$default", "autoDeploy": True})
        return status, headers, body

    ApiGatewayV2Response.create_api = create_api_with_target  # type: ignore[method-assign,assignment]


def api_routes(api_id: str) -> dict[str, Any] | None:
    """An API Gateway API as the kernel serves it: {"kind": "REST", "region", "stages": {name: variables},
    "resources": [{"path", "methods": {method: integration}}]}, or {"kind": "HTTP", "region", "stages",
    "routes": [{"routeKey", "integration"}]}, integrations as {"type", "uri", "payloadFormatVersion"}; None if no
    such API."""
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends
    for region, rest_backend in apigateway_backends[default_account()].items():
        rest = rest_backend.apis.get(api_id)
        if rest is not None:
            resources = [{"path": resource.get_path(), "methods": {
                method: {"type": m.method_integration.integration_type, "uri": m.method_integration.uri,
                         "payloadFormatVersion": "1.0"} if m.method_integration else None
                for method, m in resource.resource_methods.items()}} for resource in rest.resources.values()]
            return {"kind": "REST", "region": region, "resources": resources,
                    "stages": {name: stage.variables for name, stage in rest.stages.items()}}
    for region, http_backend in apigatewayv2_backends[default_account()].items():
        api = http_backend.apis.get(api_id)
        if api is not None and api.protocol_type == "HTTP":
            integrations = {f"integrations/{i.id}": {"type": i.integration_type, "uri": i.integration_uri,
                                                     "payloadFormatVersion": i.payload_format_version or "2.0"}
                            for i in api.integrations.values()}
            routes = [{"routeKey": route.route_key, "integration": integrations.get(route.target or "")}
                      for route in api.routes.values()]
            return {"kind": "HTTP", "region": region, "routes": routes,
                    "stages": {name: stage.stage_variables for name, stage in api.stages.items()}}
    return None


def install_eventbridge_to_lambda(route: LambdaRoute) -> None:
    """EventBridge rules deliver matching events to their Lambda targets (moto's rules serve other targets only),
    shaped by the target's Input, InputPath or InputTransformer."""
    from moto.events.models import Rule
    send_to_targets = Rule.send_to_targets

    def send_to_lambda_too(rule: Rule, event: dict[str, Any], transform_input: bool = True) -> None:
        lambda_targets = [t for t in rule.targets if t["Arn"].split(":")[2:3] == ["lambda"]]
        if lambda_targets and rule.event_pattern.matches_event(event):  # type: ignore[arg-type]
            for target in lambda_targets:
                try:
                    payload = eventbridge_input(target, eventbridge_event(event))
                except Exception as error:  # noqa: BLE001 - an input that cannot be built fails this target only
                    print(f"lambdanb: the rule {rule.name} could not build the input of its target {target['Id']}: "
                          f"{error}", file=sys.stderr)
                    continue
                delivered = route.invoke_async(target["Arn"], None, json.dumps(payload).encode(),
                                               "events.amazonaws.com", rule.arn)
                count_rule_invocation(rule, delivered)
        others = [t for t in rule.targets if t not in lambda_targets]
        if others:
            send_to_targets(_WithTargets(rule, others), event, transform_input)  # type: ignore[arg-type]

    Rule.send_to_targets = send_to_lambda_too  # type: ignore[method-assign,assignment]


def count_rule_invocation(rule: Any, delivered: bool) -> None:
    """EventBridge's metrics of a rule in CloudWatch (namespace AWS/Events, dimension RuleName): Invocations, and
    FailedInvocations for a target that could not be invoked (its policy refused, or Lambda was down)."""
    from moto.cloudwatch.models import cloudwatch_backends
    region = rule.arn.split(":")[3]
    names = ["Invocations"] if delivered else ["Invocations", "FailedInvocations"]
    cloudwatch_backends[default_account()][region].put_metric_data("AWS/Events", [
        {"MetricName": name, "Value": 1, "Unit": "Count", "Dimensions": [{"Name": "RuleName", "Value": rule.name}]}
        for name in names])


class _WithTargets:
    """A rule seen with only some of its targets (moto's own delivery gets those it serves)."""

    def __init__(self, rule: Any, targets: list[dict[str, Any]]) -> None:
        self._rule = rule
        self.targets = targets

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)


def eventbridge_event(message: dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge delivers it: time in ISO 8601, moto's bookkeeping left out."""
    event = {key: value for key, value in message.items() if key != "ingestion-time"}
    if isinstance(event.get("time"), (int, float)):
        event["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event["time"]))
    return event


def eventbridge_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What a target receives: its constant Input, the part of the event its InputPath names, the event rewritten
    by its InputTransformer, or the whole event."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        from jsonpath_ng.ext import parse
        matches = parse(target["InputPath"]).find(event)
        return matches[0].value if matches else None
    if "InputTransformer" in target:
        from moto.events.utils import EventTemplateParser
        transformer = target["InputTransformer"]
        return EventTemplateParser.parse(transformer.get("InputTemplate"), transformer.get("InputPathsMap", {}),
                                         {**event, "ingestion-time": time.time()})  # type: ignore[typeddict-item]
    return event


def sns_event(subscription: Any, notification: dict[str, Any]) -> dict[str, Any]:
    """The event SNS gives a subscribed function (moto's own keeps placeholders where AWS has the subscription,
    the message's id and attributes)."""
    region = subscription.arn.split(":")[3]
    return {"Records": [{
        "EventVersion": "1.0", "EventSubscriptionArn": subscription.arn, "EventSource": "aws:sns",
        "Sns": {"Type": "Notification", "MessageId": notification["MessageId"], "TopicArn": notification["TopicArn"],
                "Subject": notification.get("Subject"), "Message": notification["Message"],
                "Timestamp": notification["Timestamp"], "SignatureVersion": notification["SignatureVersion"],
                "Signature": notification["Signature"], "SigningCertUrl": notification["SigningCertURL"],
                "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                                  f"{subscription.arn}",
                "MessageAttributes": notification.get("MessageAttributes", {})}}]}


def install_step_functions(port: int, access_key_id: str, secret_access_key: str) -> None:
    """Step Functions runs its state machines (moto's interpreter), and the interpreter's calls to AWS (a Task's
    Lambda invoke among them) come through the front door signed with the administrator's key: moto's own test key
    is no key of this AWS."""
    import boto3
    from botocore.config import Config
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory
    from moto.stepfunctions.parser.asl.utils import boto_client
    default_user_config["stepfunctions"] = {"execute_state_machine": True}
    moto_client_for = boto_client.boto_client_for

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=f"http://127.0.0.1:{port}",
                            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                            config=Config(parameter_validation=False, read_timeout=FORWARD_TIMEOUT_S,
                                          retries={"max_attempts": 0, "total_max_attempts": 1}))

    # Every module of the interpreter holds its own reference to moto's function.
    for module in [boto_client, lambda_eval_utils, state_task_service_factory, *list(sys.modules.values())]:
        if getattr(module, "boto_client_for", None) is moto_client_for:
            vars(module)["boto_client_for"] = client_for


def warm_up(door: FrontDoor, services: Iterable[str]) -> None:
    """Once the first call is answered (so as not to slow it down): what services need before their first request,
    then the applications and response models of the services functions use."""
    from moto.core.utils import get_service_model
    door.answered.wait()
    for once in {once for service, once in door.before.items() if service not in SET_UP_WHEN_USED}:
        once()
    dispatcher = door.dispatcher
    for service in services:
        with dispatcher.lock:
            if service not in dispatcher.app_instances:
                dispatcher.app_instances[service] = dispatcher.create_app(service)
        get_service_model(service)


def serve(config: dict[str, str]) -> None:
    """Bootstrap moto with IAM enforcement on from the first request, report, then serve until the kernel ends."""
    from moto import settings
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    iam = make_administrator(config["admin_user"], config["access_key_id"], config["secret_access_key"])
    door = FrontDoor(DomainDispatcherApplication(create_backend_app), config["kernel_key"])
    install = Once(lambda: install_kernel_lambda(door.route))
    server = make_server("127.0.0.1", 0, door, threaded=True, request_handler=QuietHandler,
                         fd=int(config["listen_fd"]))
    server.daemon_threads = True  # type: ignore[attr-defined]  # werkzeug's threaded server is a ThreadingMixIn
    # moto's own clients find the server through MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.port)

    def step_functions() -> None:
        install()
        install_step_functions(server.port, config["access_key_id"], config["secret_access_key"])

    install_bodiless_signatures()  # every service's signed GET and DELETE (API Gateway, Scheduler, ...)
    door.before = {**{service: install for service in CALLS_LAMBDA}, "iam": Once(lambda: load_managed_policies(iam)),
                   "stepfunctions": Once(step_functions), "apigatewayv2": Once(install_http_api_quick_create),
                   "dynamodb": Once(authorize_dynamodb_by_table), "sqs": Once(receive_sqs_in_linear_time)}
    report({"ready": True})
    threading.Thread(target=warm_up, args=(door, WARM_SERVICES), daemon=True, name="warm-up").start()
    server.serve_forever()


def report(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> None:
    line = sys.stdin.buffer.readline()
    if not line:
        return
    threading.Thread(target=exit_when_kernel_ends, daemon=True, name="kernel-liveness").start()
    try:
        config = json.loads(line)
        # Isolated mode ignores PYTHONPATH: moto is looked for where the kernel found it.
        sys.path.extend(entry for entry in config["sys_path"] if entry not in sys.path)
        serve(config)
    except Exception as error:  # noqa: BLE001 - whatever stops the start is told to the kernel in one line
        report({"error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
