"""A Lambda API endpoint on 127.0.0.1, so real clients (boto3, the AWS CLI, one function calling another) talk
to the notebook's Lambda service as they would to AWS. One module per group of operations; the routes and
request shapes come from botocore's model of the Lambda API."""
from __future__ import annotations

import functools
import importlib
import threading
import urllib.parse
from typing import TYPE_CHECKING, Any

from ..errors import LambdaAPIError, LambdaNBError, TooManyRequestsException
from ..local_aws_server import PRINCIPAL_HEADER, SOURCE_ACCOUNT_HEADER, SOURCE_ARN_HEADER

if TYPE_CHECKING:
    from email.message import Message
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from ..service.lambda_service import LambdaService
    from .protocol import Reply

__all__ = ["LambdaEndpoint", "served_operations"]
CODE_PATH = "/lambdanb/code/"  # where GetFunction's Code.Location points: the package's zip, for download


@functools.cache  # once: every request asks
def _load_operations() -> None:
    """Import the modules that register the operations, on the first request: they read botocore's model of the
    Lambda API, a quarter of a second that a notebook which never calls the API should not wait for."""
    for group in ("functions", "configuration", "layers"):
        importlib.import_module(f".{group}", __name__)


def served_operations() -> list[str]:
    """The Lambda API operations this endpoint serves."""
    _load_operations()
    from .protocol import SERVED
    return sorted(SERVED)


class LambdaEndpoint:
    """The HTTP face of one Service; requests are not authenticated (it listens on loopback only). It listens from
    the first time its URL is asked for: a notebook that never calls the Lambda API over HTTP runs no server."""

    def __init__(self, service: LambdaService, port: int = 0) -> None:
        self.service = service
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def start(self) -> str:
        """Listen (once) and return the URL."""
        with self._lock:
            if self._server is None:
                from http.server import ThreadingHTTPServer
                self._server = ThreadingHTTPServer(("127.0.0.1", self._port), _handler_for(self))
                self._server.daemon_threads = True
                threading.Thread(target=self._server.serve_forever, daemon=True, name="lambdanb-endpoint").start()
            host, port = self._server.server_address[:2]
            return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return self.start()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: Message, body: bytes) -> Reply:
        """One request: find its operation, read its input, serve it; Lambda's error replies for what fails."""
        _load_operations()
        from ..service.permissions import ServiceCaller
        from .protocol import SERVED, error_reply, find, json_reply, request_input
        if method == "GET" and path.startswith(CODE_PATH):
            return self.download(path.removeprefix(CODE_PATH))
        found = find(method, path, query)
        if found is None:
            return error_reply(404, "UnknownOperationException", f"Unknown operation {method} {path}.")
        operation, uri = found
        serve = SERVED.get(operation.name)
        if serve is None:
            return error_reply(400, "UnknownOperationException",
                               f"lambdanb's local Lambda does not serve the {operation.name} operation.")
        try:
            request = request_input(operation, uri, query, headers, body)
            if operation.name == "Invoke" and headers.get(PRINCIPAL_HEADER):
                # An invoke a local AWS service makes on its principal's behalf (S3, SNS, EventBridge).
                request["Caller"] = ServiceCaller(headers[PRINCIPAL_HEADER], headers.get(SOURCE_ARN_HEADER, ""),
                                                  headers.get(SOURCE_ACCOUNT_HEADER, ""))
            result = serve(self.service, request)
        except TooManyRequestsException as error:
            status, reply_headers, data = error_reply(429, error.code, error.message, {"Reason": error.reason})
            return status, {**reply_headers, "Retry-After": "1"}, data
        except LambdaAPIError as error:
            return error_reply(error.status_code, error.code, error.message)
        except LambdaNBError as error:
            return error_reply(400, "InvalidParameterValueException", str(error))
        if isinstance(result, tuple):
            return result
        return json_reply(operation.http.get("responseCode", 200), result)

    def download(self, path: str) -> Reply:
        """The zip GetFunction's Code.Location names (a presigned S3 URL on AWS)."""
        from .protocol import error_reply
        name, _, version = urllib.parse.unquote(path).partition("/")
        try:
            data = self.service.get_function_code(name, version or None)
        except LambdaAPIError as error:
            return error_reply(error.status_code, error.code, error.message)
        return 200, {"Content-Type": "application/zip"}, data


def _handler_for(endpoint: LambdaEndpoint) -> type[BaseHTTPRequestHandler]:
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # boto3 waits ~40 ms for the last segment of every answer otherwise

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            try:
                status, headers, data = endpoint.handle(self.command, url.path, query, self.headers, body)
            except (ValueError, KeyError, TypeError) as error:
                from .protocol import error_reply
                status, headers, data = error_reply(400, "InvalidRequestContentException", f"Bad request: {error}.")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler
