"""A Lambda API endpoint on 127.0.0.1, so real clients (boto3, the AWS CLI, one function calling another) talk
to the notebook's Lambda service as they would to AWS: Invoke and the configuration calls the labs use."""
from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .arns import function_reference, role_arn
from .errors import LambdaAPIError, LambdaNBError, TooManyRequestsException

if TYPE_CHECKING:
    from .records import FunctionConfig
    from .service.lambda_service import LambdaService

_ROUTES = [
    ("POST", r"/2015-03-31/functions/(?P<name>[^/]+)/invocations", "invoke"),
    ("GET", r"/2015-03-31/functions/?", "list_functions"),
    ("GET", r"/2015-03-31/functions/(?P<name>[^/]+)", "get_function"),
    ("PUT", r"/2017-10-31/functions/(?P<name>[^/]+)/concurrency", "put_function_concurrency"),
    ("PUT", r"/2019-09-25/functions/(?P<name>[^/]+)/event-invoke-config", "put_function_event_invoke_config"),
    ("POST", r"/2015-03-31/event-source-mappings/?", "create_event_source_mapping"),
    ("GET", r"/2015-03-31/event-source-mappings/?", "list_event_source_mappings"),
    ("DELETE", r"/2015-03-31/event-source-mappings/(?P<uuid>[^/]+)", "delete_event_source_mapping"),
    ("POST", r"/2021-10-31/functions/(?P<name>[^/]+)/url", "create_function_url_config"),
    ("GET", r"/2021-10-31/functions/(?P<name>[^/]+)/url", "get_function_url_config"),
    ("DELETE", r"/2021-10-31/functions/(?P<name>[^/]+)/url", "delete_function_url_config"),
]
TAIL_BYTES = 4096
Reply = tuple[int, dict[str, str], bytes]  # status, headers, body


def configuration(config: FunctionConfig) -> dict[str, Any]:
    """GetFunctionConfiguration's shape."""
    return {"FunctionName": config.name, "FunctionArn": config.arn, "Runtime": config.runtime,
            "Role": config.role or role_arn("lambdanb-default"), "Handler": config.handler,
            "CodeSize": config.code_size, "Description": config.description, "Timeout": config.timeout,
            "MemorySize": config.memory_size, "LastModified": config.last_modified,
            "CodeSha256": config.code_sha256, "Version": config.version,
            "Environment": {"Variables": dict(config.environment)}, "State": "Active", "PackageType": "Zip",
            "Architectures": ["x86_64"],
            **({"DeadLetterConfig": {"TargetArn": config.dead_letter_target_arn}}
               if config.dead_letter_target_arn else {})}


class LambdaEndpoint:
    """The HTTP face of one Service; requests are not authenticated (it listens on loopback only)."""

    def __init__(self, service: LambdaService, port: int = 0) -> None:
        self.service = service
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="lambdanb-endpoint")
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method: str, path: str, query: dict[str, str], headers: Message, body: bytes) -> Reply:
        for verb, pattern, operation in _ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                arguments = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
                return getattr(self, operation)(query=query, headers=headers, body=body, **arguments)
        return _error(404, "UnknownOperationException", f"Unknown operation {method} {path}")

    def invoke(self, name: str, query: dict[str, str], headers: Message, body: bytes) -> Reply:
        invocation_type = headers.get("X-Amz-Invocation-Type", "RequestResponse")
        client_context = None
        if headers.get("X-Amz-Client-Context"):
            client_context = json.loads(base64.b64decode(headers["X-Amz-Client-Context"]))
        invocation = self.service.invoke(name, body, invocation_type=invocation_type,
                                         qualifier=query.get("Qualifier"), client_context=client_context,
                                         source="endpoint")
        reply: dict[str, str] = {"x-amzn-RequestId": invocation.request_id}
        if invocation.status_code != 200:
            return invocation.status_code, reply, b""
        reply["X-Amz-Executed-Version"] = invocation.executed_version or "$LATEST"
        if invocation.function_error:
            reply["X-Amz-Function-Error"] = invocation.function_error
        if headers.get("X-Amz-Log-Type") == "Tail":
            tail = invocation.logs.encode()[-TAIL_BYTES:]
            reply["X-Amz-Log-Result"] = base64.b64encode(tail).decode()
        payload = invocation.payload
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return 200, reply, data

    def get_function(self, name: str, **_: Any) -> Reply:
        config = self.service.get_function(name)
        return _json(200, {"Configuration": configuration(config),
                           "Code": {"RepositoryType": "S3", "Location": f"file://{config.task_root}"}})

    def list_functions(self, **_: Any) -> Reply:
        return _json(200, {"Functions": [configuration(c) for c in self.service.list_functions()]})

    def put_function_concurrency(self, name: str, body: bytes, **_: Any) -> Reply:
        reserved = json.loads(body)["ReservedConcurrentExecutions"]
        return _json(200, self.service.put_function_concurrency(name, reserved))

    def put_function_event_invoke_config(self, name: str, body: bytes, **_: Any) -> Reply:
        request = json.loads(body or b"{}")
        config = self.service.put_function_event_invoke_config(
            name, maximum_retry_attempts=request.get("MaximumRetryAttempts"),
            maximum_event_age_in_seconds=request.get("MaximumEventAgeInSeconds"),
            destination_config=request.get("DestinationConfig"))
        destinations = {key: {"Destination": arn} for key, arn in
                        (("OnSuccess", config.on_success), ("OnFailure", config.on_failure)) if arn}
        return _json(200, {"FunctionArn": self.service.get_function(name).arn,
                           "MaximumRetryAttempts": config.maximum_retry_attempts,
                           "MaximumEventAgeInSeconds": config.maximum_event_age_in_seconds,
                           "DestinationConfig": destinations})

    def create_event_source_mapping(self, body: bytes, **_: Any) -> Reply:
        request = json.loads(body)
        names = {"BatchSize": "batch_size", "MaximumBatchingWindowInSeconds": "maximum_batching_window_in_seconds",
                 "FunctionResponseTypes": "function_response_types", "Enabled": "enabled",
                 "BisectBatchOnFunctionError": "bisect_batch_on_function_error",
                 "MaximumRetryAttempts": "maximum_retry_attempts", "StartingPosition": "starting_position",
                 "DestinationConfig": "destination_config"}
        settings = {names[key]: value for key, value in request.items() if key in names}
        return _json(202, self.service.create_event_source_mapping(request["FunctionName"], request["EventSourceArn"],
                                                                   **settings))

    def list_event_source_mappings(self, query: dict, **_: Any) -> Reply:
        name = query.get("FunctionName")
        name = function_reference(name, operation="ListEventSourceMappings")[0] if name else None
        return _json(200, {"EventSourceMappings": self.service.list_event_source_mappings(name)})

    def delete_event_source_mapping(self, uuid: str, **_: Any) -> Reply:
        return _json(202, self.service.delete_event_source_mapping(uuid))


    def create_function_url_config(self, name: str, query: dict[str, str], body: bytes, **_: Any) -> Reply:
        request = json.loads(body or b"{}")
        return _json(201, self.service.create_function_url_config(
            name, auth_type=request.get("AuthType", "NONE"), qualifier=query.get("Qualifier"),
            cors=request.get("Cors")))

    def get_function_url_config(self, name: str, **_: Any) -> Reply:
        return _json(200, self.service.get_function_url_config(name))

    def delete_function_url_config(self, name: str, **_: Any) -> Reply:
        self.service.delete_function_url_config(name)
        return 204, {}, b""


def _json(status: int, document: dict[str, Any]) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()


def _error(status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> Reply:
    body = {"Type": "User", "message": message, **(extra or {})}
    return status, {"x-amzn-ErrorType": code, "Content-Type": "application/json"}, json.dumps(body).encode()


def _handler_for(endpoint: LambdaEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: with Nagle's algorithm each answer waited ~40 ms for the
        # client's delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            try:
                status, headers, data = endpoint.handle(self.command, url.path, query, self.headers, body)
            except TooManyRequestsException as error:
                status, headers, data = _error(429, error.code, error.message, {"Reason": error.reason})
                headers["Retry-After"] = "1"
            except LambdaAPIError as error:
                status, headers, data = _error(error.status_code, error.code, error.message)
            except LambdaNBError as error:
                status, headers, data = _error(400, "InvalidParameterValueException", str(error))
            except (ValueError, KeyError) as error:
                status, headers, data = _error(400, "InvalidRequestContentException", f"Bad request: {error}")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler
