"""The capstone's grader: it runs a folder of students' notebooks and scores them by their self-checks."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import as_student

from lambdanb import grader

CAPSTONE = Path(__file__).parent.parent / "labs" / "15-capstone.ipynb"


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two students' notebooks made from the capstone's metadata: one with every answer right, one with wrong
    answers who also edited a self-check to print "Correct!" whatever happens."""
    folder = tmp_path_factory.mktemp("submissions")
    settings = json.loads(CAPSTONE.read_text())["metadata"]["lambdanb"]
    ci = {"parameters": settings["ci_parameters"]}
    right = as_student(as_student(json.loads(CAPSTONE.read_text()), ci, True), settings["right_answers"], True)
    wrong = as_student(as_student(json.loads(CAPSTONE.read_text()), ci, True), settings["wrong_answers"][1], True)
    for cell in wrong["cells"]:
        if "self-check" in cell["metadata"].get("tags", []):
            cell["source"] = 'print("Correct! (trust me)")'
            break
    (folder / "ada.ipynb").write_text(json.dumps(right))
    (folder / "bob.ipynb").write_text(json.dumps(wrong))
    return folder


def test_the_grader_scores_a_right_and_a_wrong_submission_and_writes_a_csv(submissions, tmp_path):
    grades_csv = tmp_path / "grades.csv"
    finished = subprocess.run([sys.executable, "-m", "lambdanb.grader", str(submissions), "--reference",
                               str(CAPSTONE), "--csv", str(grades_csv), "--cell-timeout", "60"],
                              capture_output=True, text=True, timeout=400)
    assert finished.returncode == 0, finished.stderr[-3000:]
    rows = {row["student"]: row for row in csv.DictReader(grades_csv.open())}
    assert (rows["ada"]["passed"], rows["ada"]["total"], rows["ada"]["failures"]) == ("5", "5", "")
    assert rows["bob"]["total"] == "5" and int(rows["bob"]["passed"]) < 5
    failures = rows["bob"]["failures"].split(" | ")
    assert failures[0].startswith("Self-check 1 — roles scoped to their resources: Not yet")  # the edit was undone
    assert any(failure.startswith("Self-check 2 — the HTTP API accepts orders") for failure in failures)
    table = finished.stdout.splitlines()
    assert any(line.startswith("ada") and " 5/5 " in line for line in table)
    assert any(line.startswith("bob") and "Self-check 2" in line for line in table)


def test_a_run_that_stops_early_counts_the_checks_it_never_reached(tmp_path):
    broken = json.loads(CAPSTONE.read_text())
    setup = next(cell for cell in broken["cells"] if "%load_ext lambdanb" in "".join(cell["source"]))
    setup["source"] = "raise SystemExit('the student broke the set-up')"
    (tmp_path / "eve.ipynb").write_text(json.dumps(broken))
    (grade,) = grader.grade_folder(tmp_path, cell_timeout=30)
    assert (grade.passed, grade.total) == (0, 5)
    assert all(failure.endswith(": did not run") for failure in grade.failures)
    assert grade.problem


def test_bad_arguments_get_one_sentence(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grader.main([str(tmp_path / "nowhere")])
    assert "is not a folder." in capsys.readouterr().err
    assert grader.main([str(tmp_path), "--csv", str(tmp_path / "g.csv")]) == 1
    assert capsys.readouterr().out == f"There are no notebooks in {tmp_path}.\n"


def test_a_notebook_that_never_ran_is_not_graded_by_its_saved_outputs(tmp_path, monkeypatch):
    saved = json.loads(CAPSTONE.read_text())
    for cell in saved["cells"]:
        if grader.is_self_check(cell):
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["Correct! (typed by hand)\n"]}]
    (tmp_path / "mallory.ipynb").write_text(json.dumps(saved))
    monkeypatch.setattr(grader, "run", lambda *args: ([], "papermill could not start."))
    (grade,) = grader.grade_folder(tmp_path)
    assert (grade.passed, grade.total, grade.problem) == (0, 5, "papermill could not start.")


def test_a_reference_or_a_csv_that_cannot_be_used_gets_one_sentence(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not a notebook")
    with pytest.raises(SystemExit):
        grader.main([str(tmp_path), "--reference", str(tmp_path / "notes.txt")])
    assert "is not a notebook that can be read." in capsys.readouterr().err
    with pytest.raises(SystemExit):
        grader.main([str(tmp_path), "--csv", str(tmp_path / "no-such-folder" / "grades.csv")])
    assert "The grades cannot be written to" in capsys.readouterr().err
