"""The endpoint's layer operations: publish, read, list and delete layer versions."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .protocol import page, serves

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService


@serves("PublishLayerVersion")
def publish_layer_version(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    content = request["Content"]
    return service.publish_layer_version(
        request["LayerName"], content.get("ZipFile"), s3_bucket=content.get("S3Bucket"), s3_key=content.get("S3Key"),
        description=request.get("Description", ""), compatible_runtimes=request.get("CompatibleRuntimes"),
        compatible_architectures=request.get("CompatibleArchitectures"), license_info=request.get("LicenseInfo", ""))


@serves("GetLayerVersion")
def get_layer_version(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.get_layer_version(request["LayerName"], int(request["VersionNumber"]))


@serves("GetLayerVersionByArn")
def get_layer_version_by_arn(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return service.get_layer_version_by_arn(request["Arn"])


@serves("ListLayerVersions")
def list_layer_versions(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    versions = [layer for layer in service.list_layer_versions(request["LayerName"])
                if request.get("CompatibleRuntime") in (None, *layer["CompatibleRuntimes"])]
    return page(versions, request.get("Marker"), request.get("MaxItems"), lambda v: v["LayerVersionArn"],
                "LayerVersions")


@serves("ListLayers")
def list_layers(service: LambdaService, request: dict[str, Any]) -> dict[str, Any]:
    return page(service.list_layers(), request.get("Marker"), request.get("MaxItems"), lambda v: v["LayerArn"],
                "Layers")


@serves("DeleteLayerVersion")
def delete_layer_version(service: LambdaService, request: dict[str, Any]) -> None:
    service.delete_layer_version(request["LayerName"], int(request["VersionNumber"]))
