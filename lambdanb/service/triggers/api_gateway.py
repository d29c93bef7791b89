"""API Gateway: REST APIs with Lambda proxy integrations and HTTP APIs made in the local AWS, each served on a
loopback port of its own with the stage in the path; a request becomes payload format 1.0 (REST) or 2.0 (HTTP API)
and a synchronous invoke through the Frontend as apigateway.amazonaws.com, which the function's policy must allow."""
from __future__ import annotations

import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from ...arns import ACCOUNT_ID
from ...errors import LambdaAPIError, LambdaNBError
from ..permissions import ServiceCaller
from .http import (
    HttpRequest,
    Response,
    body_text,
    browser_url,
    http_response,
    json_response,
    loopback_url,
    payload_v2,
    serve_loopback,
)

if TYPE_CHECKING:
    from ..frontend import Frontend

ApiReader = Callable[[str], "dict[str, Any] | None"]  # an API's id → its routes as the local AWS keeps them


@dataclass
class Route:
    """Where a request goes: the resource or route it matched, its path parameters and its integration."""

    template: str  # /items/{id} (a REST resource's path, or an HTTP API route's path); $default for that route
    route_key: str  # the HTTP API's route key (GET /items/{id}, $default); for REST, METHOD /path
    parameters: dict[str, str]
    integration: dict[str, Any] | None


def match_path(template: str, path: str) -> dict[str, str] | None:
    """The path parameters if `path` fits `template` ({name} is one segment, a last {name+} one or more)."""
    wanted = [part for part in template.split("/") if part]
    given = [part for part in path.split("/") if part]
    parameters: dict[str, str] = {}
    for index, part in enumerate(wanted):
        if part.startswith("{") and part.endswith("+}"):
            if index != len(wanted) - 1 or len(given) <= index:
                return None
            parameters[part[1:-2]] = "/".join(given[index:])
            return parameters
        if index >= len(given):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = urllib.parse.unquote(given[index])
        elif part != given[index]:
            return None
    return parameters if len(given) == len(wanted) else None


def _specificity(template: str) -> tuple[int, ...]:
    """Sorts templates as API Gateway prefers them: literal segments before {name}, {name} before {name+}."""
    return tuple(2 if not part.startswith("{") else 0 if part.endswith("+}") else 1
                 for part in template.split("/") if part)


def find_route(api: dict[str, Any], method: str, path: str) -> Route | None:
    """The resource method (REST; ANY stands for every method) or route (HTTP API; $default last) a request
    matches, the most specific first."""
    found: list[tuple[tuple[int, ...], Route]] = []
    if api["kind"] == "REST":
        for resource in api["resources"]:
            parameters = match_path(resource["path"], path)
            methods = resource["methods"]
            chosen = method if method in methods else "ANY" if "ANY" in methods else None
            if parameters is not None and chosen is not None:
                found.append((_specificity(resource["path"]), Route(
                    resource["path"], f"{method} {resource['path']}", parameters, methods[chosen])))
    else:
        for route in api["routes"]:
            if route["routeKey"] == "$default":
                continue
            route_method, _, template = route["routeKey"].partition(" ")
            parameters = match_path(template, path)
            if parameters is not None and route_method in (method, "ANY"):
                # at equal paths, GET /items wins over ANY /items, as API Gateway chooses
                found.append(((*_specificity(template), route_method != "ANY"),
                              Route(template, route["routeKey"], parameters, route["integration"])))
        default = next((r for r in api["routes"] if r["routeKey"] == "$default"), None)
        if not found and default is not None:
            return Route("$default", "$default", {}, default["integration"])
    return max(found, key=lambda pair: pair[0])[1] if found else None


def function_of(integration: dict[str, Any] | None) -> str | None:
    """The function an AWS_PROXY integration invokes: its URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/
    functions/FUNCTION_ARN/invocations), or the function's ARN itself as quick create takes it."""
    if not integration or integration.get("type") != "AWS_PROXY" or not integration.get("uri"):
        return None
    uri = str(integration["uri"])
    if "/functions/" in uri:
        return uri.split("/functions/", 1)[1].removesuffix("/invocations")
    return uri if ":lambda:" in uri else None


def payload_v1(request: HttpRequest, route: Route, request_id: str, *, api_id: str, stage: str, path: str,
               region: str, stage_variables: dict[str, str]) -> dict[str, Any]:
    """Payload format 1.0, which REST APIs' Lambda proxy integrations send: single- and multi-value headers and
    query parameters, path parameters, stage variables and the request context (stage, resource path...)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in urllib.parse.parse_qsl(urllib.parse.urlsplit(request.target).query, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    now = time.time()
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    user_agent = next((v for k, v in request.headers if k.lower() == "user-agent"), None)
    identity = {key: None for key in ("accessKey", "accountId", "caller", "cognitoAuthenticationProvider",
                                      "cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId",
                                      "user", "userArn")}
    return {
        "resource": route.template, "path": path, "httpMethod": request.method,
        "headers": headers or None, "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None, "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": route.parameters or None, "stageVariables": stage_variables or None,
        "requestContext": {
            "accountId": ACCOUNT_ID, "apiId": api_id, "domainName": domain, "domainPrefix": api_id,
            "extendedRequestId": uuid.uuid4().hex[:16], "httpMethod": request.method,
            "identity": {**identity, "sourceIp": request.source_ip, "userAgent": user_agent},
            "path": urllib.parse.urlsplit(request.target).path, "protocol": "HTTP/1.1", "requestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000), "resourceId": uuid.uuid5(uuid.NAMESPACE_URL, route.template).hex[:6],
            "resourcePath": route.template, "stage": stage},
        "body": body_text(request) if request.body else None,
        "isBase64Encoded": bool(request.body) and not request.is_text}


def proxy_response_v1(payload: Any) -> Response:
    """A 1.0 proxy answer must be an object with statusCode (headers, multiValueHeaders, body, isBase64Encoded);
    anything else is a malformed Lambda proxy response."""
    if not (isinstance(payload, dict) and "statusCode" in payload):
        raise ValueError("Malformed Lambda proxy response")
    return http_response({key: value for key, value in payload.items() if key != "cookies"})


class ApiGateway:
    """The API Gateway APIs being served, one loopback server each, read anew from the local AWS on each request (so
    routes, integrations and stages made later are served too)."""

    def __init__(self, frontend: Frontend, read_api: ApiReader) -> None:
        self.frontend = frontend
        self.read_api = read_api
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._lock = threading.Lock()

    def url(self, api_id: str, stage: str | None = None, for_browser: bool = False) -> str:
        """The URL to call an API's stage with, https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/ on AWS
        (for a browser: through jupyter-server-proxy on JupyterHub); served from now on."""
        api = self.read_api(api_id)
        if api is None:
            raise LambdaNBError(f"The local AWS has no API Gateway API with the id {api_id!r} (apigateway "
                                "get_rest_apis() or apigatewayv2 get_apis() lists them).")
        stages = sorted(api["stages"])
        if stage is None and len(stages) == 1:
            stage = stages[0]
        if stage is None or stage not in stages:
            deploy = ("create_deployment(restApiId=..., stageName=...)" if api["kind"] == "REST"
                      else "create_stage(ApiId=..., StageName=...)")
            raise LambdaNBError(f"The API {api_id} has {'the stages ' + ', '.join(stages) if stages else 'no stage'}"
                                f"{f', not {stage}' if stage else ''}: name one, or deploy with {deploy}.")
        with self._lock:
            server = self._servers.get(api_id)
            if server is None:
                server = serve_loopback(lambda request: self.answer(api_id, request), f"lambdanb-api-{api_id}")
                self._servers[api_id] = server
        base = browser_url(server) if for_browser else loopback_url(server)
        return base + ("" if stage == "$default" else f"{urllib.parse.quote(stage)}/")

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.shutdown()
            server.server_close()

    def answer(self, api_id: str, request: HttpRequest) -> Response:
        """One request to an API: its stage and route, then the function's answer as API Gateway maps it."""
        try:
            api = self.read_api(api_id)
        except OSError:  # the local AWS has stopped
            return json_response(503, {"message": "Service Unavailable"})
        if api is None:
            return json_response(404, {"message": "Not Found"})
        rest = api["kind"] == "REST"
        path = urllib.parse.urlsplit(request.target).path or "/"
        first, _, rest_of_path = path.lstrip("/").partition("/")
        if first and first in api["stages"] and first != "$default":
            stage, path = urllib.parse.unquote(first), "/" + rest_of_path
        elif "$default" in api["stages"]:
            stage = "$default"
        else:
            return json_response(403, {"message": "Forbidden"})
        route = find_route(api, request.method, path)
        if route is None:
            return json_response(403, {"message": "Missing Authentication Token"}) if rest \
                else json_response(404, {"message": "Not Found"})
        return self._invoke(api_id, api, stage, path, route, request)

    def _invoke(self, api_id: str, api: dict[str, Any], stage: str, path: str, route: Route,
                request: HttpRequest) -> Response:
        rest = api["kind"] == "REST"
        failed = json_response(500, {"message": "Internal server error" if rest else "Internal Server Error"})
        function = function_of(route.integration)
        if function is None:  # only Lambda proxy integrations are served
            return failed
        request_id = str(uuid.uuid4())
        region, variables = api["region"], api["stages"][stage] or {}
        version_1 = rest or (route.integration or {}).get("payloadFormatVersion") == "1.0"
        if version_1:
            event = payload_v1(request, route, request_id, api_id=api_id, stage=stage, path=path, region=region,
                               stage_variables=variables)
        else:
            event = payload_v2(request, request_id, route_key=route.route_key, stage=stage, api_id=api_id,
                               domain=f"{api_id}.execute-api.{region}.amazonaws.com",
                               path_parameters=route.parameters, stage_variables=variables)
        source = f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{api_id}/{stage}/" + (
            "$default" if route.route_key == "$default" else f"{request.method}{path}")
        try:
            invocation = self.frontend.invoke(function, event, source="apigateway",
                                              caller=ServiceCaller("apigateway.amazonaws.com", source, ACCOUNT_ID))
        except LambdaAPIError:  # not allowed by the function's policy, throttled, no such function
            return failed
        if invocation.function_error:
            return json_response(502, {"message": "Internal server error"}) if rest else failed
        try:
            return proxy_response_v1(invocation.payload) if version_1 else http_response(invocation.payload)
        except (TypeError, ValueError):
            return json_response(502, {"message": "Internal server error"}) if rest else failed
