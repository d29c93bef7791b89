"""Layers: versioned zips (python/, nodejs/ and so on at their root) that functions add to what they import; a
function's layers are extracted in order into one folder that plays the part of /opt."""
from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..arns import ACCOUNT_ID, REGION
from ..errors import InvalidParameterValueException, ResourceNotFoundException, ValidationException
from .packages import Package

MAX_LAYERS = 5
_LAYER_NAME = re.compile(r"[a-zA-Z0-9-_]{1,140}")
_LAYER_ARN = re.compile(r"arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:layer:(?P<name>[a-zA-Z0-9-_]+):(?P<version>\d+)")


def layer_arn(name: str, version: int | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{name}"
    return arn if version is None else f"{arn}:{version}"


@dataclass
class LayerVersion:
    """One published version of a layer: its content and what PublishLayerVersion was told about it."""

    name: str
    version: int
    package: Package
    description: str = ""
    compatible_runtimes: list[str] = field(default_factory=list)
    compatible_architectures: list[str] = field(default_factory=list)
    license_info: str = ""
    created_date: str = ""

    @property
    def arn(self) -> str:
        return layer_arn(self.name, self.version)

    def describe(self) -> dict[str, Any]:
        """GetLayerVersion's shape."""
        return {"Content": {"Location": f"file://{self.name}/{self.version}.zip",
                            "CodeSha256": self.package.code_sha256, "CodeSize": self.package.code_size},
                "LayerArn": layer_arn(self.name), "LayerVersionArn": self.arn, "Description": self.description,
                "CreatedDate": self.created_date, "Version": self.version,
                "CompatibleRuntimes": self.compatible_runtimes,
                "CompatibleArchitectures": self.compatible_architectures,
                **({"LicenseInfo": self.license_info} if self.license_info else {})}


class LayerStore:
    """The account's layers, and the extracted /opt folder of each combination of layer versions in use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._layers: dict[str, dict[int, LayerVersion]] = {}
        self._next: dict[str, int] = {}  # version numbers are never reused, even after a delete
        self._lock = threading.Lock()

    def publish(self, name: str, package: Package, description: str = "", compatible_runtimes: list[str] | None = None,
                compatible_architectures: list[str] | None = None, license_info: str = "") -> LayerVersion:
        """PublishLayerVersion: a new, immutable version of the layer."""
        if not _LAYER_NAME.fullmatch(name or ""):
            raise ValidationException(f"1 validation error detected: Value '{name}' at 'layerName' failed to "
                                      f"satisfy constraint: Member must satisfy regular expression pattern: "
                                      f"{_LAYER_NAME.pattern}", "PublishLayerVersion")
        with self._lock:
            number = self._next.get(name, 1)
            self._next[name] = number + 1
            layer = LayerVersion(name, number, package, description, list(compatible_runtimes or []),
                                 list(compatible_architectures or []), license_info,
                                 time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()))
            self._layers.setdefault(name, {})[number] = layer
            return layer

    def get(self, name: str, version: int, operation: str = "GetLayerVersion") -> LayerVersion:
        with self._lock:
            try:
                return self._layers[name][int(version)]
            except (KeyError, ValueError):
                raise ResourceNotFoundException("The resource you requested does not exist.", operation) from None

    def get_by_arn(self, arn: str, operation: str = "GetLayerVersionByArn") -> LayerVersion:
        match = _LAYER_ARN.fullmatch(arn or "")
        if match is None:
            raise ValidationException(f"1 validation error detected: Value '{arn}' at 'arn' failed to satisfy "
                                      f"constraint: Member must satisfy regular expression pattern: "
                                      f"{_LAYER_ARN.pattern}", operation)
        return self.get(match["name"], int(match["version"]), operation)

    def list_versions(self, name: str) -> list[LayerVersion]:
        with self._lock:
            return sorted(self._layers.get(name, {}).values(), key=lambda layer: -layer.version)

    def list_layers(self) -> list[LayerVersion]:
        """The latest version of every layer that has one."""
        with self._lock:
            return [versions[max(versions)] for _, versions in sorted(self._layers.items()) if versions]

    def delete(self, name: str, version: int) -> None:
        """DeleteLayerVersion: functions that use it keep their copy, as on AWS."""
        with self._lock:
            self._layers.get(name, {}).pop(int(version), None)

    def resolve(self, arns: list[str], operation: str) -> list[LayerVersion]:
        """The layer versions a function's Layers name, or Lambda's error for the first that does not exist."""
        if len(arns) > MAX_LAYERS:
            raise InvalidParameterValueException(f"Cannot reference more than {MAX_LAYERS} layers.", operation)
        layers = []
        for arn in arns:
            try:
                layers.append(self.get_by_arn(arn, operation))
            except (ResourceNotFoundException, ValidationException):
                raise InvalidParameterValueException(f"Layer version {arn} does not exist.", operation) from None
        return layers

    def extract(self, layers: list[LayerVersion]) -> Path:
        """The folder playing /opt for these layers: each extracted in order, a later one's files winning."""
        key = hashlib.sha256("\n".join(f"{layer.arn}={layer.package.code_sha256}" for layer in layers)
                             .encode()).hexdigest()[:16]
        opt = self.root / key
        with self._lock:
            if not opt.exists():
                partial = opt.with_name(key + ".partial")
                shutil.rmtree(partial, ignore_errors=True)
                for layer in layers:
                    layer.package.write(partial)
                partial.mkdir(parents=True, exist_ok=True)
                partial.rename(opt)
        return opt
