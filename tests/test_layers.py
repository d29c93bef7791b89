"""Layers: published versions, read, listed and deleted; a function's layers importable as /opt/python is on
AWS, through the Python API, boto3 and the %%lambda magic."""
from __future__ import annotations

import shutil

import boto3
import pytest
from support import zipped

from lambdanb.endpoint import LambdaEndpoint
from lambdanb.errors import InvalidParameterValueException, LambdaNBError, ResourceNotFoundException

USES_LAYER = '''import os, units
def lambda_handler(event, context):
    return {"metres": units.to_metres(event["feet"]), "opt": os.environ["LAMBDANB_OPT"]}
'''


UNITS = zipped({"python/units.py": "def to_metres(feet):\n    return round(feet * 0.3048, 2)\n"})


def test_publish_read_list_delete(service):
    first = service.publish_layer_version("units", UNITS, description="feet to metres",
                                          compatible_runtimes=["python3.12"])
    second = service.publish_layer_version("units", UNITS)
    assert first["LayerVersionArn"] == "arn:aws:lambda:us-east-1:123456789012:layer:units:1"
    assert second["Version"] == 2 and first["Content"]["CodeSize"] == len(UNITS)
    assert service.get_layer_version("units", 1)["Description"] == "feet to metres"
    assert service.get_layer_version_by_arn(second["LayerVersionArn"])["Version"] == 2
    assert [v["Version"] for v in service.list_layer_versions("units")] == [2, 1]
    assert [(layer["LayerName"], layer["LatestMatchingVersion"]["Version"]) for layer in service.list_layers()] == \
        [("units", 2)]
    service.delete_layer_version("units", 2)
    with pytest.raises(ResourceNotFoundException):
        service.get_layer_version("units", 2)
    assert service.publish_layer_version("units", UNITS)["Version"] == 3, "version numbers are never reused"


def test_a_function_imports_its_layers_in_order(service):
    units = service.publish_layer_version("units", UNITS)["LayerVersionArn"]
    override = service.publish_layer_version("override", zipped({
        "python/units.py": "def to_metres(feet):\n    return -1\n"}))["LayerVersionArn"]
    service.create_function("converter", USES_LAYER, layers=[units])
    answer = service.invoke("converter", {"feet": 10}).payload
    assert answer["metres"] == 3.05 and not answer["opt"].startswith("/opt")
    service.update_function_configuration("converter", layers=[units, override])
    assert service.invoke("converter", {"feet": 10}).payload["metres"] == -1, "a later layer's files win"
    info = service.package_info("converter")
    assert [layer["Arn"] for layer in info["Layers"]] == [units, override]
    service.delete_layer_version("override", 1)
    assert service.invoke("converter", {"feet": 10}).payload["metres"] == -1, "functions keep a deleted layer"


def test_layers_from_site_packages_path_and_errors(service):
    arn = service.publish_layer_version("deps", zipped({
        "python/lib/python3.12/site-packages/deep/__init__.py": "WHERE = 'site-packages'\n"}))["LayerVersionArn"]
    service.create_function("deep", "import deep\ndef lambda_handler(e, c):\n    return deep.WHERE\n", layers=[arn])
    assert service.invoke("deep").payload == "site-packages"
    with pytest.raises(InvalidParameterValueException, match="Layer version .*:layer:ghost:1 does not exist"):
        service.create_function("ghost", USES_LAYER, layers=["arn:aws:lambda:us-east-1:123456789012:layer:ghost:1"])
    with pytest.raises(InvalidParameterValueException, match="more than 5 layers"):
        service.create_function("many", USES_LAYER, layers=[arn] * 6)


def test_layers_through_boto3(service):
    endpoint = LambdaEndpoint(service)
    try:
        client = boto3.client("lambda", endpoint_url=endpoint.url, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
        layer = client.publish_layer_version(LayerName="units", Content={"ZipFile": UNITS},
                                             CompatibleRuntimes=["python3.12"])
        assert layer["Version"] == 1
        assert client.get_layer_version(LayerName="units", VersionNumber=1)["LayerVersionArn"] == \
            layer["LayerVersionArn"]
        assert client.get_layer_version_by_arn(Arn=layer["LayerVersionArn"])["Version"] == 1
        assert [v["Version"] for v in client.list_layer_versions(LayerName="units")["LayerVersions"]] == [1]
        assert [entry["LayerName"] for entry in client.list_layers()["Layers"]] == ["units"]
        created = client.create_function(
            FunctionName="converter", Runtime="python3.12", Role="arn:aws:iam::123456789012:role/lambdanb-default",
            Handler="lambda_function.lambda_handler", Code={"ZipFile": zipped({"lambda_function.py": USES_LAYER})},
            Layers=[layer["LayerVersionArn"]])
        assert created["Layers"] == [{"Arn": layer["LayerVersionArn"], "CodeSize": len(UNITS)}]
        assert b'"metres": 3.05' in client.invoke(FunctionName="converter", Payload=b'{"feet": 10}')["Payload"].read()
        client.delete_layer_version(LayerName="units", VersionNumber=1)
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_layer_version(LayerName="units", VersionNumber=1)
    finally:
        endpoint.stop()


def test_the_layer_option_of_the_magic(shell):
    shell.run(f"arn = lambdanb.publish_layer_version('units', {UNITS!r})['LayerVersionArn']")
    arn = shell.value("arn")
    shell.run(f"%%lambda converter --layer {arn}\n{USES_LAYER}")
    assert shell.value("lambdanb.invoke('converter', {'feet': 10}).payload['metres']") == 3.05


def test_a_nodejs_function_requires_from_its_layer(service):
    if shutil.which("node") is None:
        pytest.skip("Node.js (the node command) is not installed")
    arn = service.publish_layer_version("node-units", zipped({
        "nodejs/node_modules/units/index.js": "exports.toMetres = f => Math.round(f * 30.48) / 100;\n"}))[
        "LayerVersionArn"]
    service.create_function("node-converter", "const units = require('units');\n"
                            "exports.handler = async (event) => units.toMetres(event.feet);\n",
                            runtime="nodejs20.x", layers=[arn])
    assert service.invoke("node-converter", {"feet": 10}).payload == 3.05
    with pytest.raises(LambdaNBError, match="requirements are pip requirements, for Python functions"):
        service.create_function("node-pip", "exports.handler = async () => 1;\n", runtime="nodejs20.x",
                                requirements=["left-pad"])
