"""The labs: each runs top to bottom with papermill, its self-checks grade right and wrong answers without raising,
and the committed outputs still match under nbval.

A lab says how it is checked in its notebook metadata, under "lambdanb":
  ci_parameters  papermill parameters for a small, fast run
  needs          commands of this machine its functions run (the test skips, saying so, where one is missing)
  right_answers  {"parameters": {...}, "replace": {"cell tag": "source"}}: a student who got everything right
  wrong_answers  a list of the same: students who got things wrong (wrong type, None, missing key, syntax error)
Self-check cells carry the cell tag "self-check" and print a line starting "Correct!" or "Not yet".
"""
from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import papermill
import pytest
from support import as_student

import lambdanb
from lambdanb import grader

LABS = sorted((Path(__file__).parent.parent / "labs").glob("[0-9][0-9]-*.ipynb"))
SANITIZE = Path(lambdanb.__file__).parent / "nbval-sanitize.cfg"


def settings(lab: Path) -> dict:
    return json.loads(lab.read_text())["metadata"].get("lambdanb", {})


def lab_params(with_answers: str | None = None) -> list:
    params = []
    for lab in LABS:
        lab_settings = settings(lab)
        missing = [command for command in lab_settings.get("needs", []) if shutil.which(command) is None]
        mark = pytest.mark.skipif(bool(missing), reason=f"{lab.name} needs {' and '.join(missing)}, not installed")
        if with_answers is None:
            params.append(pytest.param(lab, id=lab.stem, marks=mark))
            continue
        answers = lab_settings.get(with_answers, [])
        for number, answer in enumerate(answers if isinstance(answers, list) else [answers]):
            params.append(pytest.param(lab, answer, id=f"{lab.stem}-{number}", marks=mark))
    return params


def run_lab(lab: Path, tmp_path: Path, answer: dict | None = None) -> list[dict]:
    """Runs the lab as a student would (with the answer's cells and parameters), returns the executed cells."""
    answer = answer or {}
    notebook = as_student(json.loads(lab.read_text()), answer)
    student = tmp_path / lab.name
    student.write_text(json.dumps(notebook))
    parameters = {**settings(lab).get("ci_parameters", {}), **answer.get("parameters", {})}
    out = tmp_path / f"executed-{lab.name}"
    papermill.execute_notebook(str(student), str(out), parameters=parameters, cwd=str(lab.parent),
                               kernel_name="python3", progress_bar=False)
    cells = json.loads(out.read_text())["cells"]
    errors = [output for cell in cells for output in cell.get("outputs", []) if output["output_type"] == "error"]
    assert not errors, "\n".join(line for error in errors for line in error["traceback"])[-3000:]
    return cells


def self_checks(cells: list[dict]) -> list[str]:
    """The text each self-check cell printed, as the grader reads it."""
    return [grader.printed(cell) for cell in cells if grader.is_self_check(cell)]


def test_the_sanitize_file_reads_as_nbval_reads_it():
    # nbval reads it with configparser, which refuses a section named twice
    sections = configparser.ConfigParser()
    sections.read(SANITIZE)
    assert all({"regex", "replace"} <= set(sections[name]) for name in sections.sections())


def test_there_is_a_first_lab():
    assert LABS and LABS[0].name.startswith("01-")


@pytest.mark.parametrize("lab", lab_params())
def test_lab_runs_with_papermill(lab, tmp_path):
    cells = run_lab(lab, tmp_path)
    for printed in self_checks(cells):
        assert printed.startswith(("Correct!", "Not yet")), printed


@pytest.mark.parametrize("lab,answer", lab_params("right_answers"))
def test_right_answers_are_graded_correct(lab, answer, tmp_path):
    printed = self_checks(run_lab(lab, tmp_path, answer))
    assert printed and all(text.startswith("Correct!") for text in printed), printed


@pytest.mark.parametrize("lab,answer", lab_params("wrong_answers"))
def test_wrong_answers_get_a_helpful_not_yet(lab, answer, tmp_path):
    printed = self_checks(run_lab(lab, tmp_path, answer))
    assert all(text.startswith(("Correct!", "Not yet")) for text in printed), printed
    assert any(text.startswith("Not yet") for text in printed), printed


@pytest.mark.parametrize("lab", lab_params())
def test_lab_outputs_match_with_nbval(lab):
    # Committed outputs are real runs; the sanitize file masks what varies from run to run.
    env = {key: value for key, value in os.environ.items() if key != "LAMBDANB_DETERMINISTIC"}
    check = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", str(lab), "--nbval-sanitize-with", str(SANITIZE),
         "-p", "no:cacheprovider", "-q"],
        cwd=lab.parent, env=env, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout[-5000:] + check.stderr[-2000:]


@pytest.mark.parametrize("lab", [lab for lab in LABS if settings(lab).get("right_answers")], ids=lambda lab: lab.stem)
def test_a_committed_lab_is_a_students_starting_point(lab):
    # Its exercises are unanswered: every self-check's committed output is a "Not yet".
    printed = self_checks(json.loads(lab.read_text())["cells"])
    assert len(printed) >= 2, f"{lab.name} has {len(printed)} graded exercises; a lab has two or three"
    assert all(text.startswith("Not yet") for text in printed), printed
