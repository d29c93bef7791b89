"""Deployment packages: multi-module zips, a handler in a sub-package, folders plus a cell, companion files from
cells, requirements installed and cached, and what a function can import (the runtime's, and no more)."""
from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import boto3
import pytest
from support import zipped

from lambdanb.errors import LambdaNBError
from lambdanb.service import packages


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMBDANB_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_multi_module_zip_with_a_data_file(service):
    code = zipped({
        "lambda_function.py": "import json, pricing\nfrom pathlib import Path\n"
                              "RATES = json.loads(Path('data/rates.json').read_text())\n"
                              "def lambda_handler(event, context):\n"
                              "    return pricing.total(event['items'], RATES['vat'])\n",
        "pricing.py": "def total(items, vat):\n    return round(sum(items) * (1 + vat), 2)\n",
        "data/rates.json": '{"vat": 0.2}'})
    config = service.create_function("shop", zip_file=code)
    assert config.code_sha256 == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert config.code_size == len(code)
    assert service.invoke("shop", {"items": [1, 2]}).payload == 3.6
    info = service.package_info("shop")
    assert [f["Path"] for f in info["Files"]] == ["data/rates.json", "lambda_function.py", "pricing.py"]
    assert info["CodeSha256"] == config.code_sha256 and info["Layers"] == [] and info["Requirements"] == []


def test_a_handler_in_a_sub_package(service):
    code = zipped({"src/__init__.py": "", "src/app.py": "from src.lib import greet\n"
                   "def handler(event, context):\n    return greet(event['name'])\n",
                   "src/lib/__init__.py": "def greet(name):\n    return f'hello {name}'\n"})
    service.create_function("nested", zip_file=code, handler="src/app.handler")
    assert service.invoke("nested", {"name": "ada"}).payload == "hello ada"
    assert service.get_function("nested").code.startswith("from src.lib import greet")


def test_a_folder_plus_the_cell(service, tmp_path):
    folder = tmp_path / "project"
    (folder / "helpers").mkdir(parents=True)
    (folder / "helpers" / "__init__.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "junk.pyc").write_bytes(b"junk")
    service.create_function("folder", "from helpers import double\ndef lambda_handler(e, c):\n"
                            "    return double(e['x'])\n", package=folder)
    assert service.invoke("folder", {"x": 21}).payload == 42
    assert [f["Path"] for f in service.package_info("folder")["Files"]] == ["helpers/__init__.py",
                                                                            "lambda_function.py"]


def test_companion_files_stay_when_the_cell_is_deployed_again(service):
    service.create_function("companion", "import helpers\ndef lambda_handler(e, c):\n    return helpers.VALUE\n")
    first = service.put_function_file("companion", "helpers.py", "VALUE = 1\n")
    assert service.invoke("companion").payload == 1
    service.deploy_function("companion", "import helpers\ndef lambda_handler(e, c):\n    return helpers.VALUE + 10\n")
    assert service.invoke("companion").payload == 11
    service.put_function_file("companion", "helpers.py", "VALUE = 2\n")
    assert service.invoke("companion").payload == 12
    assert service.get_function("companion").code_sha256 != first.code_sha256
    with pytest.raises(LambdaNBError, match="not a path inside the package"):
        service.put_function_file("companion", "../escape.py", "")


def test_a_function_imports_the_runtime_and_no_more(service):
    service.create_function("imports", "import boto3, os\ndef lambda_handler(e, c):\n"
                            "    return [boto3.__name__, 'LAMBDANB_SYS_PATH' in os.environ]\n")
    assert service.invoke("imports").payload == ["boto3", False]
    service.create_function("kernel-only", "import yaml\ndef lambda_handler(e, c):\n    return 1\n")
    invocation = service.invoke("kernel-only")
    assert invocation.payload["errorType"] == "Runtime.ImportModuleError"
    assert invocation.payload["errorMessage"] == "Unable to import module 'lambda_function': No module named 'yaml'"
    assert invocation.hint is not None and 'requirements=["PyYAML"]' in invocation.hint
    assert invocation.hint in str(invocation)
    service.create_function("unfaithful", "import yaml\ndef lambda_handler(e, c):\n    return yaml.__name__\n",
                            kernel_packages=True)
    assert service.invoke("unfaithful").payload == "yaml"


def test_a_function_sees_none_of_the_packages_its_environment_was_made_with(service):
    # The template process that environments are forked from imported multiprocess and dill: neither is in the
    # Python runtime, so neither is loaded or importable in a function.
    service.create_function("made-with", "import sys\n"
                            "def lambda_handler(event, context):\n"
                            "    importable = []\n"
                            "    for name in ('multiprocess', 'dill'):\n"
                            "        try:\n"
                            "            __import__(name)\n"
                            "            importable.append(name)\n"
                            "        except ImportError:\n"
                            "            pass\n"
                            "    loaded = [n for n in sys.modules if n.partition('.')[0] in ('multiprocess', 'dill')]\n"
                            "    return {'importable': importable, 'loaded': loaded}\n")
    assert service.invoke("made-with").payload == {"importable": [], "loaded": []}


def test_another_checkouts_runtime_links_are_not_reused(service, tmp_path, monkeypatch):
    """Two checkouts (or a virtual environment made again) with the same boto3 share the cache: each kernel's
    functions import its own boto3, not links into the other's site-packages, which an environment may not read."""
    other_site = tmp_path / "other-checkout" / "site-packages"
    (other_site / "boto3").mkdir(parents=True)
    (other_site / "boto3" / "__init__.py").write_text("raise ImportError('the other checkout')\n")
    real_distribution = packages.metadata.distribution

    class ElsewhereDistribution:
        def __init__(self, name: str) -> None:
            self.real = real_distribution(name)
            self.version, self.files, self.requires = self.real.version, self.real.files, self.real.requires

        def locate_file(self, path: object) -> Path:
            return other_site / str(path)

    with monkeypatch.context() as other_kernel:
        other_kernel.setattr(packages.metadata, "distribution", ElsewhereDistribution)
        packages._runtime_dir.cache_clear()
        assert (packages.runtime_dir() / "boto3").resolve() == (other_site / "boto3").resolve()
    packages._runtime_dir.cache_clear()
    service.create_function("mine", "import boto3\ndef lambda_handler(e, c):\n    return boto3.__file__\n")
    assert Path(service.invoke("mine").payload).resolve() == Path(boto3.__file__).resolve()


def test_the_runtime_client_imports_the_runtime_and_no_more(service):
    pytest.importorskip("awslambdaric", reason="the awslambdaric runtime client is not installed")
    service.create_function("ric", "import boto3\ndef lambda_handler(e, c):\n    return boto3.__name__\n",
                            runtime_client="awslambdaric")
    assert service.invoke("ric").payload == "boto3"
    service.create_function("ric-yaml", "import yaml\ndef lambda_handler(e, c):\n    return 1\n",
                            runtime_client="awslambdaric")
    assert service.invoke("ric-yaml").payload["errorMessage"] == \
        "Unable to import module 'lambda_function': No module named 'yaml'"


def test_requirements_installed_offline_from_the_kernel_and_cached(service, cache, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip cannot reach an index: the kernel's copy is reused
    code = "import yaml\ndef lambda_handler(e, c):\n    return yaml.safe_load('a: 1')\n"
    config = service.create_function("with-yaml", code, requirements=["pyyaml>=5"])
    assert service.invoke("with-yaml").payload == {"a": 1}
    assert config.requirements == ["pyyaml>=5"] and service.package_info("with-yaml")["InstalledFiles"] > 0
    [installed] = (cache / "requirements").iterdir()
    (installed / "from_the_cache.py").write_text("HIT = True\n")
    service.create_function("again", "import from_the_cache\ndef lambda_handler(e, c):\n"
                            "    return from_the_cache.HIT\n", requirements=["pyyaml>=5"])
    assert service.invoke("again").payload is True
    with pytest.raises(LambdaNBError, match="pip could not install pyyaml<1"):
        service.create_function("impossible", code, requirements=["pyyaml<1"])


def test_the_magics_for_packages(shell, tmp_path, monkeypatch):
    monkeypatch.setenv("LAMBDANB_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "shared.py").write_text("NAME = 'shared'\n")
    shell.run(f"%%lambda packaged --package {tmp_path / 'lib'}\nimport shared, helpers\n"
              "def lambda_handler(event, context):\n    return [shared.NAME, helpers.NAME]\n")
    out = shell.run("%%lambda_file packaged helpers.py\nNAME = 'helper'\n")
    assert "helpers.py is in packaged's package now (3 files" in out
    assert shell.value("lambdanb.invoke('packaged').payload") == ["shared", "helper"]
    out = shell.run("%%lambda quick --kernel-packages\nimport yaml\ndef lambda_handler(e, c):\n    return 1\n")
    assert "on AWS it will not run unchanged" in out
    assert shell.value("lambdanb.invoke('quick').payload") == 1
    error, _ = shell.fail("%%lambda_file ghost helpers.py\nX = 1\n")
    assert "Function not found" in str(error)
