"""API Gateway: REST APIs with a Lambda proxy integration and HTTP APIs made by quick create, set up with the boto3
calls a script makes on AWS, called with requests; the function's policy decides whether API Gateway may invoke it."""
from __future__ import annotations

import json

import pytest
import requests
from support import rest_api, shape

import lambdanb
from lambdanb import aws
from lambdanb.errors import LambdaNBError
from lambdanb.events import generate

ECHO = """import json
def lambda_handler(event, context):
    print("EVENT", json.dumps(event))
    if event.get("rawPath") == "/bare":
        return {"bare": True}
    return {"statusCode": 201, "headers": {"X-Seen": event.get("path") or event.get("rawPath")},
            "multiValueHeaders": {"X-Many": ["a", "b"]}, "body": json.dumps({"ok": True})}
"""
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:web"


def last_event(name: str) -> dict:
    return json.loads(lambdanb.get_logs(name, pattern="EVENT ")[-1].message.split("EVENT ", 1)[1])


def allow_api_gateway(api_id: str, source: str = "*/*/*") -> None:
    aws.client("lambda").add_permission(
        FunctionName="web", StatementId=f"apigateway-{api_id}", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/{source}")


@pytest.fixture
def web(service):
    service.create_function("web", ECHO)


def test_a_rest_api_sends_payload_format_1_with_path_parameters_and_the_stage(web):
    api_id = rest_api(FUNCTION_ARN)
    allow_api_gateway(api_id)
    url = lambdanb.api_url(api_id, "prod")
    assert url.startswith("http://127.0.0.1:") and url.endswith("/prod/")

    answer = requests.get(url + "items/42?size=1&size=2", headers={"X-Custom": "yes"}, timeout=30)
    assert answer.status_code == 201 and answer.json() == {"ok": True}
    assert answer.headers["X-Seen"] == "/items/42" and answer.headers["X-Many"] == "a, b"
    event = last_event("web")
    assert shape(event) == shape(generate("apigateway-rest"))
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/items/{id}", "/items/42", "GET")
    assert event["pathParameters"] == {"id": "42"} and event["stageVariables"] == {"table": "orders"}
    assert event["queryStringParameters"] == {"size": "2"}
    assert event["multiValueQueryStringParameters"] == {"size": ["1", "2"]}
    assert event["headers"]["X-Custom"] == "yes" and event["multiValueHeaders"]["X-Custom"] == ["yes"]
    context = event["requestContext"]
    assert (context["stage"], context["resourcePath"], context["path"]) == ("prod", "/items/{id}", "/prod/items/42")
    assert context["apiId"] == api_id and context["domainName"] == f"{api_id}.execute-api.us-east-1.amazonaws.com"
    assert event["body"] is None and event["isBase64Encoded"] is False

    requests.post(url + "photos/2024/cat.jpg", data=b"\x89PNG", headers={"Content-Type": "image/png"}, timeout=30)
    event = last_event("web")
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": "photos/2024/cat.jpg"}
    assert event["httpMethod"] == "POST" and event["isBase64Encoded"] is True and event["body"] == "iVBORw=="


def test_a_rest_api_answers_as_api_gateway_where_it_cannot_invoke(web):
    api_id = rest_api(FUNCTION_ARN)
    url = lambdanb.api_url(api_id, "prod")
    denied = requests.get(url + "items/42", timeout=30)  # no permission for apigateway.amazonaws.com yet
    assert denied.status_code == 500 and denied.json() == {"message": "Internal server error"}
    assert lambdanb.get_logs("web", pattern="EVENT ") == []
    allow_api_gateway(api_id, "*/GET/items/*")
    assert requests.get(url + "items/42", timeout=30).status_code == 201
    assert requests.delete(url + "items/42", timeout=30).status_code == 500  # matches {proxy+}: not allowed
    wrong_stage = requests.get(url.replace("/prod/", "/test/") + "items/42", timeout=30)
    assert wrong_stage.status_code == 403 and wrong_stage.json() == {"message": "Forbidden"}


def test_an_http_api_made_by_quick_create_sends_payload_format_2(web):
    api = aws.client("apigatewayv2").create_api(Name="quick", ProtocolType="HTTP", Target=FUNCTION_ARN)
    allow_api_gateway(api["ApiId"], "*/$default")
    url = lambdanb.api_url(api["ApiId"])
    assert url.startswith("http://127.0.0.1:")  # the $default stage has no name in the path

    answer = requests.post(url + "orders/7?a=1&a=2", json={"n": 1}, headers={"Cookie": "s=1"}, timeout=30)
    assert answer.status_code == 201 and answer.headers["X-Seen"] == "/orders/7"
    event = last_event("web")
    assert shape(event) <= shape(generate("apigateway-http"))
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "$default", "/orders/7")
    assert event["rawQueryString"] == "a=1&a=2" and event["queryStringParameters"] == {"a": "1,2"}
    assert event["cookies"] == ["s=1"] and json.loads(event["body"]) == {"n": 1}
    context = event["requestContext"]
    assert (context["stage"], context["routeKey"], context["apiId"]) == ("$default", "$default", api["ApiId"])
    assert context["http"]["method"] == "POST"

    bare = requests.get(url + "bare", timeout=30)
    assert bare.status_code == 200 and bare.json() == {"bare": True}


def test_an_http_api_without_permission_answers_500(web):
    api = aws.client("apigatewayv2").create_api(Name="quick", ProtocolType="HTTP", Target=FUNCTION_ARN)
    denied = requests.get(lambdanb.api_url(api["ApiId"]) + "orders", timeout=30)
    assert denied.status_code == 500 and denied.json() == {"message": "Internal Server Error"}
    assert lambdanb.get_logs("web", pattern="EVENT ") == []


def test_an_unknown_api_or_stage_is_one_sentence(web):
    with pytest.raises(LambdaNBError, match="no API Gateway API with the id 'nope'"):
        lambdanb.api_url("nope")
    api_id = rest_api(FUNCTION_ARN)
    with pytest.raises(LambdaNBError, match="has the stages prod, not dev"):
        lambdanb.api_url(api_id, "dev")


def test_the_magic_prints_the_invoke_url_and_the_browsers_through_jupyterhub(shell, monkeypatch):
    lambdanb.create_function("web", ECHO)
    api_id = rest_api(FUNCTION_ARN)
    allow_api_gateway(api_id)
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    printed = shell.run(f"%lambda url {api_id} --api --stage prod")
    url = lambdanb.api_url(api_id, "prod")
    port = url.split(":")[2].split("/")[0]
    assert f"API {api_id}'s invoke URL: {url}" in printed
    assert f"from your browser: /user/ada/proxy/{port}/prod/" in printed
    assert requests.get(url + "items/7", timeout=30).headers["X-Seen"] == "/items/7"


def test_an_http_api_with_its_own_routes_and_stage(web):
    apigatewayv2 = aws.client("apigatewayv2")
    api_id = apigatewayv2.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    integration = apigatewayv2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION_ARN,
                                                  PayloadFormatVersion="2.0")["IntegrationId"]
    for key in ("ANY /items/{id}", "GET /items/{id}", "ANY /files/{path+}"):  # GET wins over ANY, in any order
        apigatewayv2.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    apigatewayv2.create_stage(ApiId=api_id, StageName="beta", StageVariables={"table": "beta-orders"})
    allow_api_gateway(api_id)
    url = lambdanb.api_url(api_id)
    assert url.endswith("/beta/")

    assert requests.get(url + "items/42", timeout=30).status_code == 201
    event = last_event("web")
    assert event["routeKey"] == "GET /items/{id}" and event["pathParameters"] == {"id": "42"}
    assert event["requestContext"]["stage"] == "beta" and event["stageVariables"] == {"table": "beta-orders"}
    requests.delete(url + "files/a/b.txt", timeout=30)
    assert last_event("web")["pathParameters"] == {"path": "a/b.txt"}
    requests.post(url + "items/42", timeout=30)
    assert last_event("web")["routeKey"] == "ANY /items/{id}"
    missing = requests.post(url + "orders", timeout=30)  # no route for it, and no $default route
    assert missing.status_code == 404 and missing.json() == {"message": "Not Found"}
