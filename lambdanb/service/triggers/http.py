"""Function URLs: an HTTP endpoint on 127.0.0.1 per URL that turns each request into Lambda's payload format 2.0,
invokes the function synchronously through the Frontend, and maps its answer to the HTTP response as Lambda does."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ...arns import ACCOUNT_ID, REGION, function_arn
from ...clock import iso_time
from ...errors import LambdaAPIError, TooManyRequestsException

if TYPE_CHECKING:
    from ..frontend import Frontend

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "application/x-www-form")


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
        host, port = self.server.server_address[:2] if self.server else ("127.0.0.1", 0)
        return f"http://{host!s}:{port}/"

    @property
    def url_id(self) -> str:
        """The <url-id> of https://<url-id>.lambda-url.<region>.on.aws on AWS: stable for the function."""
        return hashlib.sha256(function_arn(self.function_name, self.qualifier).encode()).hexdigest()[:32]

    @property
    def browser_url(self) -> str:
        """The URL a browser opens: through jupyter-server-proxy when the notebook server is not on this machine's
        loopback for the browser (JupyterHub, Binder), else the URL itself."""
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
        if prefix and self.server:
            return f"{prefix.rstrip('/')}/proxy/{self.server.server_address[1]}/"
        return self.url

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "FunctionUrl": self.url, "FunctionArn": function_arn(self.function_name, self.qualifier),
            "AuthType": self.auth_type, "CreationTime": self.creation_time,
            "LastModifiedTime": self.creation_time, "InvokeMode": "BUFFERED"}
        if self.cors:
            described["Cors"] = self.cors
        return described

    def serve(self, frontend: Frontend) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, frontend))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         name=f"lambdanb-url-{self.function_name}").start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def request_event(url: FunctionUrl, method: str, target: str, headers: dict[str, str], body: bytes,
                  source_ip: str, request_id: str) -> dict[str, Any]:
    """Lambda's payload format 2.0 for one HTTP request."""
    parts = urllib.parse.urlsplit(target)
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        lowered[name.lower()] = f"{lowered[name.lower()]},{value}" if name.lower() in lowered else value
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    query: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    text = lowered.get("content-type", "text/plain").startswith(_TEXT_TYPES)
    now = time.time()
    domain = f"{url.url_id}.lambda-url.{REGION}.on.aws"
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": parts.path or "/", "rawQueryString": parts.query,
        "headers": lowered,
        "requestContext": {
            "accountId": "anonymous" if url.auth_type == "NONE" else ACCOUNT_ID, "apiId": url.url_id,
            "domainName": domain, "domainPrefix": url.url_id,
            "http": {"method": method, "path": parts.path or "/", "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": lowered.get("user-agent", "")},
            "requestId": request_id, "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000)},
        "isBase64Encoded": bool(body) and not text}
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if body:
        event["body"] = body.decode("utf-8", "replace") if text else base64.b64encode(body).decode()
    return event


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


def _handler(url: FunctionUrl, frontend: Frontend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            status, headers, data = self._answer(body)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _answer(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            if url.auth_type == "AWS_IAM" and "Authorization" not in self.headers:
                return 403, [("Content-Type", "application/json")], b'{"Message":"Forbidden"}'
            request_id = frontend.ids.request_id(url.function_name)
            event = request_event(url, self.command, self.path, dict(self.headers.items()), body,
                                  self.client_address[0], request_id)
            try:
                invocation = frontend.invoke(url.function_name, event, qualifier=url.qualifier, source="function-url")
            except TooManyRequestsException:
                return 429, [("Content-Type", "application/json")], b'{"Message":"Rate Exceeded."}'
            except LambdaAPIError as error:
                return error.status_code, [("Content-Type", "application/json")], \
                    json.dumps({"Message": error.message}).encode()
            if invocation.function_error:
                return 502, [("Content-Type", "application/json")], b"Internal Server Error"
            try:
                return http_response(invocation.payload)
            except (TypeError, ValueError):
                return 502, [("Content-Type", "application/json")], b"Internal Server Error"

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    return Handler
