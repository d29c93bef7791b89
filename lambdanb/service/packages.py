"""Deployment packages: a function's code as files (from a cell, a zip, a folder or S3), its CodeSha256 as AWS
computes it, requirements installed with pip and cached, and the directories a function may import from."""
from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..errors import InvalidParameterValueException, LambdaNBError, RequestTooLargeException

MAX_ZIPPED_BYTES = 50 * 1024 * 1024  # direct upload
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024  # the package and its layers, extracted
MAX_REQUEST_BYTES = 69905067  # what Lambda names: the request that carries a 50 MB zip in base64
# What the Python runtime itself provides besides the standard library (and awslambdaric, its runtime client).
RUNTIME_DISTRIBUTIONS = ("boto3", "awslambdaric")
_SKIPPED = re.compile(r"(^|/)(__pycache__|\.ipynb_checkpoints|\.git)(/|$)|\.pyc$")
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass
class Package:
    """A deployment package: its own files (path inside the package → content), the files pip installed for its
    requirements, and its zip (as uploaded, or built from both)."""

    files: dict[str, bytes]
    zip: bytes = b""
    requirements: list[str] = field(default_factory=list)
    installed: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.requirements and not self.installed:
            self.installed = requirement_files(self.requirements)
        if not self.zip or self.installed:
            self.zip = zip_files({**self.installed, **self.files})

    @property
    def code_sha256(self) -> str:
        """Base64 of the SHA-256 of the zip's bytes, as Lambda reports CodeSha256."""
        return base64.b64encode(hashlib.sha256(self.zip).digest()).decode()

    @property
    def code_size(self) -> int:
        return len(self.zip)

    def with_files(self, files: dict[str, bytes]) -> Package:
        """This package with some files added or replaced (a new zip)."""
        return Package({**self.files, **files}, requirements=list(self.requirements), installed=self.installed)

    def write(self, root: Path) -> None:
        """Extract the package into a task root (bootstrap files, and files the zip marks executable, executable)."""
        with zipfile.ZipFile(io.BytesIO(self.zip)) as archive:
            executables = {i.filename for i in archive.infolist() if (i.external_attr >> 16) & 0o111}
        for name, data in {**self.installed, **self.files}.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            if path.name == "bootstrap" or name in executables:
                path.chmod(0o755)


def zip_files(files: dict[str, bytes]) -> bytes:
    """A zip of the files, the same bytes for the same files (sorted names, fixed timestamps, stored)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=_EPOCH), files[name])
    return buffer.getvalue()


def from_zip(data: bytes, operation: str) -> Package:
    """A package uploaded as a zip (ZipFile, S3, fileb://function.zip); Lambda's errors for what it refuses."""
    if len(data) > MAX_ZIPPED_BYTES:
        raise RequestTooLargeException(f"Request must be smaller than {MAX_REQUEST_BYTES} bytes for the "
                                       f"{operation} operation", operation)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in members) > MAX_UNZIPPED_BYTES:
                raise InvalidParameterValueException(
                    f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes", operation)
            files = {_safe_name(i.filename, operation): archive.read(i) for i in members}
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise InvalidParameterValueException("Could not unzip uploaded file. Please check your file, then try to "
                                             "upload again.", operation) from None
    return Package(files, data)


def _safe_name(name: str, operation: str) -> str:
    parts = name.replace("\\", "/").split("/")
    if name.startswith("/") or ".." in parts:
        raise InvalidParameterValueException(f"The zip holds a file outside its root: {name}.", operation)
    return name


def from_folder(folder: str | Path) -> dict[str, bytes]:
    """The files of a folder, by their path inside it (caches and checkpoints left out)."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise LambdaNBError(f"The package folder {folder} does not exist.")
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and not _SKIPPED.search(path.relative_to(root).as_posix())}


def from_s3(bucket: str, key: str, version: str | None, operation: str) -> Package:
    """A package stored in the local S3 (Code.S3Bucket, S3Key, S3ObjectVersion)."""
    from .. import aws
    s3 = aws.client("s3")
    try:
        body = s3.get_object(Bucket=bucket, Key=key, **({"VersionId": version} if version else {}))["Body"].read()
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__)
        raise InvalidParameterValueException(f"Error occurred while GetObject. S3 Error Code: {code}. S3 Error "
                                             f"Message: The specified {'bucket' if 'Bucket' in code else 'key'} "
                                             "does not exist.", operation) from None
    return from_zip(body, operation)


def cache_root() -> Path:
    """Where installed requirements and the runtime's own packages are kept between kernels."""
    base = os.environ.get("LAMBDANB_CACHE_DIR") or Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache") / "lambdanb"
    return Path(base).expanduser()


def requirement_files(requirements: list[str]) -> dict[str, bytes]:
    """The files `pip install --target` puts in a package for these requirements, installed once per set of
    requirements and Python version; offline, distributions installed in the kernel are reused from their files."""
    if not requirements:
        return {}
    key = hashlib.sha256("\n".join([sys.version, *sorted(requirements)]).encode()).hexdigest()[:16]

    def install(target: Path) -> None:
        if not _pip_install(requirements, target):
            _copy_distributions(requirements, target, link=False)

    return from_folder(_built_once(cache_root() / "requirements" / key, install))


def _built_once(target: Path, build: Callable[[Path], None]) -> Path:
    """A cached folder: built beside its place and renamed into it, so a folder that exists is complete, even
    when two kernels build it at once."""
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            build(partial)
            partial.rename(target)
        except OSError:
            if not target.exists():
                raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return target


def _pip_install(requirements: list[str], target: Path) -> bool:
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--no-input", "--no-compile", "--target", str(target), *requirements],
                          capture_output=True, text=True)
    return done.returncode == 0


def _copy_distributions(requirements: list[str], target: Path, link: bool) -> None:
    """Copy (or link) installed distributions, with their dependencies, into a folder as pip --target would."""
    from packaging.requirements import InvalidRequirement, Requirement
    seen: set[str] = set()
    pending = list(requirements)
    while pending:
        try:
            requirement = Requirement(pending.pop())
        except InvalidRequirement as error:
            raise LambdaNBError(f"The requirement is not valid: {error}.") from None
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = requirement.name.lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise LambdaNBError(f"pip could not install {requirement} (offline?) and the kernel does not have "
                                f"{requirement.name} installed to reuse.") from None
        if not requirement.specifier.contains(distribution.version, prereleases=True):
            raise LambdaNBError(f"pip could not install {requirement} (offline?) and the kernel has "
                                f"{requirement.name} {distribution.version}, which does not satisfy it.")
        _place(distribution, target, link)
        pending += distribution.requires or []


def _place(distribution: metadata.Distribution, target: Path, link: bool) -> None:
    site = Path(str(distribution.locate_file("")))
    for file in distribution.files or []:
        if file.parts[0] == ".." or "__pycache__" in file.parts:
            continue  # scripts and caches live outside the importable tree
        source = Path(str(distribution.locate_file(file)))
        destination = target / file
        if link:  # the top-level name only: one link per package
            top = target / file.parts[0]
            if not top.exists() and (site / file.parts[0]).exists():
                top.symlink_to(site / file.parts[0])
            continue
        if source.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def runtime_dir() -> Path:
    """The packages the Lambda Python runtime provides (boto3 and its dependencies, the runtime client), as links
    to the kernel's copies: what /var/runtime is on AWS."""
    return _runtime_dir(cache_root())


@functools.lru_cache(maxsize=4)  # asked for every new environment
def _runtime_dir(root: Path) -> Path:
    installed = {}
    for name in RUNTIME_DISTRIBUTIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            installed[name] = metadata.distribution(name)
    versions = "-".join(installed[name].version if name in installed else "none" for name in RUNTIME_DISTRIBUTIONS)
    # The folder holds links into the kernel's site-packages: a second checkout or a new virtual environment of
    # the same versions gets folders of its own, not links into one an environment may not read (or one deleted).
    sites = "\n".join(str(distribution.locate_file("")) for distribution in installed.values())
    where = hashlib.sha256(sites.encode()).hexdigest()[:8]
    return _built_once(root / "runtime" / f"python{sys.version_info[0]}.{sys.version_info[1]}-{versions}-{where}",
                       lambda target: _copy_distributions(list(installed), target, link=True))


def standard_library_paths() -> list[str]:
    """The kernel's sys.path entries that hold the standard library (and its extension modules), nothing else."""
    return [p for p in sys.path if p and p.startswith(sys.base_prefix) and "-packages" not in p]


@functools.lru_cache(maxsize=64)  # reading every distribution's metadata takes a while
def module_distribution(module: str) -> str:
    """The name to pip install for a module (PIL → pillow), as far as the kernel knows; else the module's name."""
    return next(iter(metadata.packages_distributions().get(module, [])), module)


def import_environ(runtime: str, opt_dir: Path | None, kernel_packages: bool) -> dict[str, str]:
    """The variables that tell a function's process where it imports from: PYTHONPATH (the runtime's packages and
    the layers, as a Python runtime client started with -S reads it), LAMBDANB_SYS_PATH (the whole sys.path after
    the task root, which the native Python runtime applies), NODE_PATH, and LAMBDANB_OPT (the layers' folder)."""
    environ = {"LAMBDANB_OPT": str(opt_dir)} if opt_dir else {}
    version = runtime.removeprefix("python")
    if runtime.startswith("python"):
        layers = [str(opt_dir / "python" / "lib" / f"python{version}" / "site-packages"),
                  str(opt_dir / "python")] if opt_dir else []
        runtime_packages = str(runtime_dir())
        rest = [p for p in sys.path if p] if kernel_packages else [runtime_packages, *standard_library_paths()]
        environ["PYTHONPATH"] = os.pathsep.join([*layers, runtime_packages])
        environ["LAMBDANB_SYS_PATH"] = os.pathsep.join([*layers, *rest])
    elif runtime.startswith("nodejs") and opt_dir:
        node = runtime.removeprefix("nodejs").split(".")[0]
        environ["NODE_PATH"] = os.pathsep.join([str(opt_dir / "nodejs" / f"node{node}" / "node_modules"),
                                                str(opt_dir / "nodejs" / "node_modules")])
    return environ
