"""Installing lambdanb: its own wheel in a fresh virtual environment outside the repository runs what a student
uses, and ./dev goes on past the system packages a machine cannot have."""
from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.parse
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).parent.parent
# Each step (build, install, run the notebook) must finish within this many seconds: the test is bounded.
STEP_SECONDS = 600
INDEX_URL = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple")
# The README's instructor command, word for word, for the sanitize file's path.
SANITIZE_COMMAND = 'import lambdanb, pathlib; print(pathlib.Path(lambdanb.__file__).parent / "nbval-sanitize.cfg")'
CELLS = [
    "import sys, lambdanb\nprint(sys.prefix)\nprint(lambdanb.__file__)",
    "%load_ext lambdanb",
    '%%lambda hello\ndef lambda_handler(event, context):\n    return {"statusCode": 200, "body": "Hello " + event["name"]}',
    'r = lambdanb.invoke("hello", {"name": "wheel"})\nprint(r.status_code, r.payload["body"])',
    'console = lambdanb.console("hello")\nconsole',
    'console.close()\nevent = lambdanb.events.generate("s3-put", bucket="photos", key="cat.jpg")\n'
    'print(event["Records"][0]["s3"]["bucket"]["name"], event["Records"][0]["s3"]["object"]["key"])',
    '%lambda invoke hello --event \'{"name": "magic"}\'',
]
# Runs in the new environment: executes the cells above with nbclient and writes the executed notebook.
RUNNER = """
import sys
import nbclient, nbformat
cells = [nbformat.v4.new_code_cell(source) for source in {cells!r}]
notebook = nbformat.v4.new_notebook(cells=cells)
notebook.metadata["kernelspec"] = {{"name": "python3", "display_name": "Python 3", "language": "python"}}
nbclient.NotebookClient(notebook, timeout=120, startup_timeout=120, kernel_name="python3").execute()
nbformat.write(notebook, sys.argv[1])
"""


def index_reachable() -> bool:
    url = urllib.parse.urlparse(INDEX_URL)
    if url.scheme == "file":
        return True
    try:
        socket.create_connection((url.hostname, url.port or 443), timeout=5).close()
        return True
    except OSError:
        return False


needs_index = pytest.mark.skipif(not index_reachable(),
                                 reason=f"the package index {INDEX_URL} is not reachable: the install test needs it")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_SECONDS)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{output[-5000:]}"
    return output


def clean_environment(venv: Path, home: Path) -> dict[str, str]:
    """The process environment of a new user of the venv: nothing of this repository, nor of the test's Jupyter."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH", "LAMBDANB_DETERMINISTIC")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[name] = str(home / name.lower())
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # sdist first, then the wheel built from that sdist: a file missing from the sdist breaks the wheel
    log = run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=out)
    assert not re.search(r"DeprecationWarning|deprecated", log), \
        "the build warned:\n" + "\n".join(line for line in log.splitlines() if "eprecat" in line)
    run([sys.executable, "-m", "twine", "check", "--strict", *map(str, out.iterdir())], cwd=out)
    return out


@needs_index
def test_the_wheel_holds_every_file_of_the_package(dist):
    wheel = next(dist.glob("lambdanb-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    packaged = {name for name in names if name.startswith("lambdanb/")}
    source = {path.relative_to(ROOT).as_posix() for path in (ROOT / "lambdanb").rglob("*")
              if path.is_file() and "__pycache__" not in path.parts}
    assert source - packaged == set()
    metadata = zipfile.ZipFile(wheel).read(next(name for name in names if name.endswith(".dist-info/METADATA")))
    assert b"License-Expression: MIT" in metadata and b"Provides-Extra: lab" in metadata
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)


@needs_index
def test_a_notebook_works_with_the_installed_wheel(dist, tmp_path):
    venv, home = tmp_path / "venv", tmp_path / "home"
    home.mkdir()
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = str(venv / "bin" / "python")
    env = clean_environment(venv, home)
    wheel = next(dist.glob("lambdanb-*.whl"))
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel), "ipykernel", "nbclient"],
        cwd=tmp_path, env=env)

    executed = tmp_path / "executed.ipynb"
    (tmp_path / "runner.py").write_text(RUNNER.format(cells=CELLS))
    run([python, "runner.py", str(executed)], cwd=tmp_path, env=env)
    outputs = [cell["outputs"] for cell in nbformat.read(executed, as_version=4)["cells"]]
    text = ["".join(output.get("text", "") for output in cell) for cell in outputs]
    assert not [output for cell in outputs for output in cell if output["output_type"] == "error"]

    prefix, module = text[0].split()
    assert Path(prefix).resolve() == venv.resolve() and Path(module).resolve().is_relative_to(venv.resolve())
    assert text[3].strip() == "200 Hello wheel"
    widgets = [output for output in outputs[4] if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    assert widgets, f"the console showed no widget: {outputs[4]}"
    assert text[5].strip() == "photos cat.jpg"
    shown = json.dumps(outputs[6])
    assert "Hello magic" in shown and "REPORT RequestId:" in shown

    sanitize = Path(run([python, "-c", SANITIZE_COMMAND], cwd=tmp_path, env=env).strip())
    assert sanitize.resolve().is_relative_to(venv.resolve()) and sanitize.is_file()
    rules = configparser.ConfigParser()
    rules.read(sanitize)
    assert rules.sections()
    for section in rules.sections():
        re.compile(rules[section]["regex"])
        assert "replace" in rules[section]


def system_packages(tmp_path: Path, uid: int) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ./dev's system_packages on a machine that has none of them, where apt-get lacks chromium (Ubuntu)."""
    fake = tmp_path / f"bin-{uid}"
    fake.mkdir()
    log = tmp_path / f"apt-{uid}.log"
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake / "apt-get").write_text(f'#!/bin/sh\necho "$*" >> {log}\ncase "$*" in *chromium*) exit 100;; esac\n')
    for script in fake.iterdir():
        script.chmod(0o755)
    dev = (ROOT / "dev").read_text()
    function = dev[dev.index("system_packages() {"):dev.index("\n}\n", dev.index("system_packages() {")) + 3]
    done = subprocess.run(["/bin/bash", "-c", f"set -euo pipefail\n{function}\nsystem_packages\necho went on"],
                          env={"PATH": str(fake)}, capture_output=True, text=True, timeout=60)
    return done, log.read_text().splitlines() if log.exists() else []


def test_dev_goes_on_past_a_package_the_distribution_lacks(tmp_path):
    done, apt = system_packages(tmp_path, uid=0)
    assert done.returncode == 0 and done.stdout == "went on\n"
    assert [line for line in apt if "install" in line] == [
        "install -y -qq chromium", "install -y -qq nodejs", "install -y -qq curl"]
    assert done.stderr.splitlines() == ["apt-get could not install chromium here; the tests that need it are skipped."]


def test_dev_as_a_normal_user_only_says_what_is_missing(tmp_path):
    done, apt = system_packages(tmp_path, uid=1000)
    assert done.returncode == 0 and done.stdout == "went on\n" and apt == []
    assert done.stderr.startswith("Not installed: chromium nodejs curl;") and len(done.stderr.splitlines()) == 1


def instructor_workflow() -> dict:
    """The GitHub Actions workflow of labs/README.md's instructor's guide."""
    text = (ROOT / "labs" / "README.md").read_text()
    (block,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    return yaml.safe_load(block)


@needs_index
def test_the_instructors_ci_example_runs_as_written(tmp_path):
    (job,) = instructor_workflow()["jobs"].values()
    steps = [step for step in job["steps"] if "run" in step]
    install = steps[0]["run"]
    assert "lambdanb[lab] @ git+https://github.com/" in install
    # a course repository: its labs/ folder; lambdanb installed from a copy of this checkout instead of GitHub (a
    # new path each run: pip would reuse a wheel it built from the same path before)
    course, venv, home, checkout = tmp_path / "course", tmp_path / "venv", tmp_path / "home", tmp_path / "lambdanb"
    shutil.copytree(ROOT / "labs", course / "labs")
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info"))
    home.mkdir()
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    env = {**clean_environment(venv, home), **job["env"], "LABS": "labs/01-first-function.ipynb"}
    commands = [re.sub(r'"lambdanb\[lab\] @ git\+https://\S+"', f'"lambdanb[lab] @ {checkout.as_uri()}"', install),
                *(step["run"] for step in steps[1:])]
    for step, command in zip(steps, commands, strict=True):
        output = run(["/bin/bash", "-eo", "pipefail", "-c", command], cwd=course, env={**env, **step.get("env", {})})
    assert re.search(r"\b\d+ passed\b", output) and "failed" not in output, output[-2000:]
