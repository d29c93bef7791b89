"""The labs: each runs top to bottom with papermill, and the committed outputs still match under nbval."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import papermill
import pytest

import lambdanb

LABS = sorted((Path(__file__).parent.parent / "labs").glob("[0-9][0-9]-*.ipynb"))
SANITIZE = Path(lambdanb.__file__).parent / "nbval-sanitize.cfg"
# Small runs for CI; a lab's own parameters cell has the fuller defaults.
SMALL = {"01": {"extra_invocations": 1}, "02": {"orders": 6}, "05": {"players": 4, "rows": 10},
         "07": {"invocations": 20}, "08": {"memory_sizes": [128, 256]}}
# Commands of this machine a lab's functions run: Node.js and a bash bootstrap that calls curl.
NEEDS = {"06": ["node", "curl"]}


def lab_params() -> list:
    params = []
    for lab in LABS:
        missing = [command for command in NEEDS.get(lab.name[:2], []) if shutil.which(command) is None]
        mark = pytest.mark.skipif(bool(missing), reason=f"{lab.name} needs {' and '.join(missing)}, not installed")
        params.append(pytest.param(lab, id=lab.stem, marks=mark))
    return params


def test_there_is_a_first_lab():
    assert LABS and LABS[0].name.startswith("01-")


@pytest.mark.parametrize("lab", lab_params())
def test_lab_runs_with_papermill(lab, tmp_path):
    out = tmp_path / lab.name
    papermill.execute_notebook(str(lab), str(out), parameters=SMALL.get(lab.name[:2], {}), cwd=str(lab.parent),
                               kernel_name="python3", progress_bar=False)
    executed = out.read_text()
    assert '"output_type": "error"' not in executed


@pytest.mark.parametrize("lab", lab_params())
def test_lab_outputs_match_with_nbval(lab):
    env = dict(os.environ, LAMBDANB_DETERMINISTIC="1")
    check = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", str(lab), "--nbval-sanitize-with", str(SANITIZE),
         "-p", "no:cacheprovider", "-q"],
        cwd=lab.parent, env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout[-5000:] + check.stderr[-2000:]
