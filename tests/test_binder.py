"""Binder and conda: the files read as repo2docker reads them, and the written instructions agree with them."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:
    tomllib = pytest.importorskip("tomli", reason="Python 3.10 reads pyproject.toml with tomli")

ROOT = Path(__file__).parent.parent
ENVIRONMENT = ROOT / "environment.yml"
POST_BUILD = ROOT / "postBuild"
INSTRUCTIONS = [ROOT / "README.md", ROOT / "docs" / "classroom.md"]
LABS_INDEX = "labs/README.md"


def environment() -> dict:
    return yaml.safe_load(ENVIRONMENT.read_text())


def pip_requirements() -> list[str]:
    return [line for dependency in environment()["dependencies"] if isinstance(dependency, dict)
            for line in dependency.get("pip", [])]


def points_into_repository(requirement: str) -> bool:
    """True for a pip line that needs the repository's files: a path, an editable path, a requirements file."""
    words = requirement.split()
    if words[0] in ("-r", "--requirement", "-c", "--constraint") or words[0].startswith(("-r", "-c")):
        return True
    target = words[-1]
    if "://" in target and not target.startswith("file:"):
        return False  # a URL or a VCS address, fetched from elsewhere
    return target.startswith((".", "/", "~", "file:")) or "/" in target.split("[")[0]


def pip_install(text: str) -> list[str]:
    """The pip install commands in a script or a line of prose, as words, without options that only matter to an
    image (the cache)."""
    commands = re.findall(r"(?:python -m )?pip install [^&`\n]*", text)
    return [" ".join(word for word in shlex.split(command) if word != "--no-cache-dir") for command in commands]


def post_build_install() -> str:
    commands = pip_install(POST_BUILD.read_text())
    assert len(commands) == 1, f"postBuild should install lambdanb with one pip command, found {commands}"
    return commands[0]


def test_binder_reads_the_files_at_the_root():
    # a binder/ or .binder/ folder would make repo2docker ignore environment.yml and postBuild at the root
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    assert ENVIRONMENT.is_file() and POST_BUILD.is_file()


def test_environment_needs_nothing_from_the_repository():
    # repo2docker installs environment.yml before it copies the repository (a local pip line delays that step
    # and loses its cache), so lambdanb itself is not installed from here
    local = [requirement for requirement in pip_requirements() if points_into_repository(requirement)]
    assert local == [], f"environment.yml installs from the repository, which is not there yet: {local}"
    conda_names = [re.split(r"[<>=!\s\[]", d)[0] for d in environment()["dependencies"] if isinstance(d, str)]
    assert "lambdanb" not in conda_names + [re.split(r"[<>=!\s\[]", r)[0] for r in pip_requirements()]


def test_environment_python_is_one_lambdanb_supports():
    pins = [d for d in environment()["dependencies"] if isinstance(d, str) and re.fullmatch(r"python[=<>]=?\S+", d)]
    assert len(pins) == 1, "environment.yml should pin one Python version, as repo2docker reads it"
    version = tuple(int(part) for part in re.findall(r"\d+", pins[0])[:2])
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert version >= tuple(int(part) for part in re.findall(r"\d+", requires)[:2])


def test_post_build_is_an_executable_script_that_installs_the_lab_extra():
    mode = subprocess.run(["git", "ls-files", "-s", "postBuild"], cwd=ROOT, capture_output=True, text=True).stdout
    if mode:  # the mode a clone (and Binder) gets is the one git stores, not this checkout's
        assert mode.startswith("100755"), "postBuild is not executable in git: git update-index --chmod=+x postBuild"
    assert os.access(POST_BUILD, os.X_OK)
    assert POST_BUILD.read_text().startswith("#!/bin/bash\n")
    assert re.search(r"^set -e", POST_BUILD.read_text(), re.MULTILINE), "postBuild must stop at its first error"
    assert subprocess.run(["bash", "-n", str(POST_BUILD)], capture_output=True).returncode == 0
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    target = post_build_install().split()[-1]
    assert target.startswith(".[") and set(target[2:-1].split(",")) <= set(extras) and "lab" in target


@pytest.mark.parametrize("document", INSTRUCTIONS, ids=[path.name for path in INSTRUCTIONS])
def test_conda_instructions_agree_with_the_files(document):
    if not document.exists():
        pytest.skip(f"{document.name} is not in this checkout")
    lines = [line for line in [*document.read_text().splitlines(), *ENVIRONMENT.read_text().splitlines()]
             if "conda env create" in line]
    assert lines, f"{document.name} does not say how to use environment.yml"
    for line in lines:
        assert "-f environment.yml" in line, line
        assert f"conda activate {environment()['name']}" in line, line
        assert post_build_install() in pip_install(line), f"the conda route does not install lambdanb as postBuild does: {line}"


def test_binder_link_opens_the_labs_index():
    text = (ROOT / "docs" / "classroom.md").read_text()
    links = re.findall(r"https://mybinder\.org/v2/gh/[^\s)]+", text)
    assert links, "docs/classroom.md has no Binder link"
    for link in links:
        assert link.endswith(f"?urlpath=lab/tree/{LABS_INDEX}"), link
    assert (ROOT / LABS_INDEX).is_file()

