"""HTTP triggers' shared parts: a loopback HTTP server per endpoint (a function URL, an API Gateway API), the URL a
browser opens for it, Lambda's response mapping; and function URLs, whose requests become payload format 2.0."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ...arns import ACCOUNT_ID, REGION, function_arn
from ...clock import iso_time
from ...errors import LambdaAPIError, TooManyRequestsException
from ..permissions import allows_public_url

if TYPE_CHECKING:
    from ..frontend import Frontend

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "application/x-www-form")
Response = tuple[int, list[tuple[str, str]], bytes]


@dataclass
class HttpRequest:
    """One request as it reached a loopback server: target is the path with its query; headers keep repeats."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str

    @property
    def is_text(self) -> bool:
        """Whether the body is passed as text (else base64, with isBase64Encoded true)."""
        content_type = next((v for k, v in self.headers if k.lower() == "content-type"), "text/plain")
        return content_type.startswith(_TEXT_TYPES)


def serve_loopback(answer: Callable[[HttpRequest], Response], name: str) -> ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 (a port of its own) answering every request with `answer`, in daemon threads."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answer))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name=name).start()
    return server


def loopback_url(server: ThreadingHTTPServer | None) -> str:
    host, port = server.server_address[:2] if server else ("127.0.0.1", 0)
    return f"http://{host!s}:{port}/"


def browser_url(server: ThreadingHTTPServer | None) -> str:
    """The URL a browser opens: through jupyter-server-proxy when the notebook server is not on this machine's
    loopback for the browser (JupyterHub, Binder), else the loopback URL itself."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix and server:
        return f"{prefix.rstrip('/')}/proxy/{server.server_address[1]}/"
    return loopback_url(server)


def json_response(status: int, document: dict[str, Any]) -> Response:
    return status, [("Content-Type", "application/json")], json.dumps(document).encode()


@dataclass
class FunctionUrl:
    """CreateFunctionUrlConfig: a function's own HTTP endpoint, served while the record lives."""

    function_name: str
    qualifier: str | None
    auth_type: str  # NONE: anyone may call it; AWS_IAM: only signed requests
    cors: dict[str, Any] = field(default_factory=dict)
    creation_time: str = field(default_factory=iso_time)
    server: ThreadingHTTPServer | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return loopback_url(self.server)

    @property
    def url_id(self) -> str:
        """The <url-id> of https://<url-id>.lambda-url.<region>.on.aws on AWS: stable for the function."""
        return hashlib.sha256(function_arn(self.function_name, self.qualifier).encode()).hexdigest()[:32]

    @property
    def browser_url(self) -> str:
        return browser_url(self.server)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "FunctionUrl": self.url, "FunctionArn": function_arn(self.function_name, self.qualifier),
            "AuthType": self.auth_type, "CreationTime": self.creation_time,
            "LastModifiedTime": self.creation_time, "InvokeMode": "BUFFERED"}
        if self.cors:
            described["Cors"] = self.cors
        return described

    def serve(self, frontend: Frontend) -> None:
        self.server = serve_loopback(lambda request: self.answer(frontend, request),
                                     f"lambdanb-url-{self.function_name}")

    def answer(self, frontend: Frontend, request: HttpRequest) -> Response:
        """Invoke the function for one request; Lambda's own answers when it cannot."""
        if self.auth_type == "AWS_IAM" and not any(k.lower() == "authorization" for k, _ in request.headers):
            return json_response(403, {"Message": "Forbidden"})
        request_id = frontend.ids.request_id(self.function_name)
        event = request_event(self, request, request_id)
        try:
            policy = frontend.functions.get(self.function_name, "Invoke").policy
            if self.auth_type == "NONE" and not allows_public_url(policy, self.function_name, self.qualifier):
                return json_response(403, {"Message": "Forbidden"})  # the policy does not grant everyone access
            invocation = frontend.invoke(self.function_name, event, qualifier=self.qualifier, source="function-url")
        except TooManyRequestsException:
            return json_response(429, {"Message": "Rate Exceeded."})
        except LambdaAPIError as error:
            return json_response(error.status_code, {"Message": error.message})
        if invocation.function_error:
            return 502, [("Content-Type", "application/json")], b"Internal Server Error"
        try:
            return http_response(invocation.payload)
        except (TypeError, ValueError):
            return 502, [("Content-Type", "application/json")], b"Internal Server Error"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def request_event(url: FunctionUrl, request: HttpRequest, request_id: str) -> dict[str, Any]:
    """Lambda's payload format 2.0 for one request to a function URL."""
    domain = f"{url.url_id}.lambda-url.{REGION}.on.aws"
    event = payload_v2(request, request_id, route_key="$default", stage="$default", api_id=url.url_id,
                       domain=domain)
    event["requestContext"]["accountId"] = "anonymous" if url.auth_type == "NONE" else ACCOUNT_ID
    return event


def payload_v2(request: HttpRequest, request_id: str, *, route_key: str, stage: str, api_id: str, domain: str,
               path_parameters: dict[str, str] | None = None,
               stage_variables: dict[str, str] | None = None) -> dict[str, Any]:
    """Payload format 2.0 (function URLs, HTTP APIs): repeated headers and query values joined with commas,
    cookies apart, the body base64-encoded unless it is text."""
    parts = urllib.parse.urlsplit(request.target)
    lowered: dict[str, str] = {}
    for name, value in request.headers:
        lowered[name.lower()] = f"{lowered[name.lower()]},{value}" if name.lower() in lowered else value
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    query: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": route_key, "rawPath": parts.path or "/", "rawQueryString": parts.query,
        "headers": lowered,
        "requestContext": {
            "accountId": ACCOUNT_ID, "apiId": api_id, "domainName": domain, "domainPrefix": domain.split(".")[0],
            "http": {"method": request.method, "path": parts.path or "/", "protocol": "HTTP/1.1",
                     "sourceIp": request.source_ip, "userAgent": lowered.get("user-agent", "")},
            "requestId": request_id, "routeKey": route_key, "stage": stage,
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000)},
        "isBase64Encoded": bool(request.body) and not request.is_text}
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if stage_variables:
        event["stageVariables"] = stage_variables
    if request.body:
        event["body"] = body_text(request)
    return event


def body_text(request: HttpRequest) -> str:
    return request.body.decode("utf-8", "replace") if request.is_text else base64.b64encode(request.body).decode()


def http_response(payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """The HTTP response for what the function returned: a dict with statusCode is taken field by field (headers,
    multiValueHeaders, cookies, body, isBase64Encoded); anything else becomes a 200 JSON response."""
    if not (isinstance(payload, dict) and "statusCode" in payload):
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return 200, [("Content-Type", "application/json")], body.encode()
    headers = [(str(k), str(v)) for k, v in (payload.get("headers") or {}).items()]
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(v)) for v in values]
    headers += [("Set-Cookie", str(cookie)) for cookie in payload.get("cookies") or []]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    raw = payload.get("body")
    body = raw if isinstance(raw, str) else ("" if raw is None else json.dumps(raw))
    data = base64.b64decode(body) if payload.get("isBase64Encoded") else body.encode()
    return int(payload["statusCode"]), headers, data


def _handler(answer: Callable[[HttpRequest], Response]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            request = HttpRequest(self.command, self.path, list(self.headers.items()), body, self.client_address[0])
            status, headers, data = answer(request)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    return Handler
