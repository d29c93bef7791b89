"""Grades a folder of students' notebooks: runs each with papermill in a folder of its own, reads what its
self-check cells printed, and prints a table and writes a CSV (student, checks passed / total, failures).

    python -m lambdanb.grader submissions/ --reference labs/15-capstone.ipynb --csv grades.csv

With --reference, each submission's self-check cells are replaced by the reference notebook's before it runs, so a
check a student edited grades like the original.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SELF_CHECK = "self-check"


@dataclass
class Grade:
    """One student's result: the self-checks passed, out of how many, and the names of those not passed."""

    student: str
    passed: int
    total: int
    failures: list[str] = field(default_factory=list)
    problem: str = ""  # why the run stopped before its end, if it did

    @property
    def score(self) -> str:
        return f"{self.passed}/{self.total}"


def is_self_check(cell: dict[str, Any]) -> bool:
    return cell.get("cell_type") == "code" and SELF_CHECK in cell.get("metadata", {}).get("tags", [])


def check_name(cell: dict[str, Any], number: int) -> str:
    """A check's name: its first line without the comment sign ("Self-check 2 — the HTTP API accepts orders")."""
    source = "".join(cell.get("source", ""))
    first = source.splitlines()[0].lstrip("# ").strip() if source.strip() else ""
    return first or f"self-check {number}"


def printed(cell: dict[str, Any]) -> str:
    return "".join("".join(output.get("text", "")) for output in cell.get("outputs", [])
                   if output.get("output_type") == "stream")


def with_reference_checks(notebook: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """The submission with the reference's self-check cells in place of its own, matched by cell id (else by
    order); checks the student deleted are put back at the end, so they count as not passed."""
    originals = [cell for cell in reference["cells"] if is_self_check(cell)]
    by_id = {cell.get("id"): cell for cell in originals}
    mine = [cell for cell in notebook["cells"] if is_self_check(cell)]
    used = set()
    for position, cell in enumerate(mine):
        original = by_id.get(cell.get("id")) or (originals[position] if position < len(originals) else None)
        if original is not None and id(original) not in used:
            cell["source"] = original["source"]
            used.add(id(original))
    for original in originals:
        if id(original) not in used:
            notebook["cells"].append({**original, "outputs": [], "execution_count": None})
    return notebook


def grade_executed(student: str, cells: list[dict[str, Any]], problem: str = "") -> Grade:
    checks = [cell for cell in cells if is_self_check(cell)]
    failures = []
    for number, cell in enumerate(checks, 1):
        text = printed(cell)
        if not text.startswith("Correct!"):
            why = " ".join(text.split()) or "did not run"  # a wrapped message as one line
            failures.append(f"{check_name(cell, number)}: {why}")
    return Grade(student, len(checks) - len(failures), len(checks), failures, problem)


def run(source: Path, workdir: Path, cell_timeout: int, notebook_timeout: int) -> tuple[list[dict[str, Any]], str]:
    """Executes the notebook in `workdir` with papermill in a process (and kernel) of its own; returns the executed
    cells and, if the run stopped early, why in one sentence."""
    executed = workdir / f"executed-{source.name}"
    command = [sys.executable, "-m", "papermill", str(source), str(executed), "--cwd", str(workdir),
               "--execution-timeout", str(cell_timeout), "--kernel", "python3", "--no-progress-bar",
               "--log-level", "ERROR"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        _, errors = process.communicate(timeout=notebook_timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        errors = f"the notebook ran longer than {notebook_timeout} s and was stopped."
    problem = ""
    if process.returncode != 0:
        lines = [line for line in errors.splitlines() if line.strip()]
        problem = next((line for line in reversed(lines) if "Error" in line or "stopped" in line),
                       lines[-1] if lines else "papermill failed")
    if not executed.exists():
        return [], problem or "the notebook did not run."
    return json.loads(executed.read_text())["cells"], problem


def grade_notebook(path: Path, reference: dict[str, Any] | None = None, cell_timeout: int = 120,
                   notebook_timeout: int = 600) -> Grade:
    student = path.stem
    try:
        notebook = json.loads(path.read_text())
        if reference is not None:
            notebook = with_reference_checks(notebook, reference)
    except (OSError, ValueError, KeyError, TypeError) as error:
        total = sum(1 for cell in (reference or {}).get("cells", []) if is_self_check(cell))
        return Grade(student, 0, total, [], f"{path.name} is not a notebook that can be read ({error}).")
    workdir = Path(tempfile.mkdtemp(prefix=f"grade-{student}-"))
    try:
        source = workdir / path.name
        source.write_text(json.dumps(notebook))
        cells, problem = run(source, workdir, cell_timeout, notebook_timeout)
        if not cells:  # nothing ran: the checks have no output (never the student's saved ones)
            cells = [{**cell, "outputs": []} for cell in notebook["cells"]]
        return grade_executed(student, cells, problem)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def grade_folder(folder: Path, reference: Path | None = None, csv_path: Path | None = None,
                 cell_timeout: int = 120, notebook_timeout: int = 600) -> list[Grade]:
    """Grades every .ipynb in the folder, one after the other, and writes the CSV if asked."""
    reference_notebook = json.loads(reference.read_text()) if reference else None
    grades = [grade_notebook(path, reference_notebook, cell_timeout, notebook_timeout)
              for path in sorted(folder.glob("*.ipynb"))]
    if csv_path is not None:
        with csv_path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["student", "passed", "total", "failures", "problem"])
            for grade in grades:
                writer.writerow([grade.student, grade.passed, grade.total, " | ".join(grade.failures),
                                 grade.problem])
    return grades


def table(grades: list[Grade]) -> str:
    width = max([len("student"), *(len(grade.student) for grade in grades)])
    lines = [f"{'student':<{width}}  score  failures", f"{'-' * width}  -----  --------"]
    for grade in grades:
        failures = "; ".join(grade.failures) or "-"
        lines.append(f"{grade.student:<{width}}  {grade.score:>5}  {failures}")
        if grade.problem:
            lines.append(f"{'':<{width}}         (the run stopped: {grade.problem})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambdanb.grader", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="the folder of students' notebooks (*.ipynb)")
    parser.add_argument("--reference", type=Path, help="the lab as handed out: its self-checks are the ones run")
    parser.add_argument("--csv", type=Path, default=Path("grades.csv"), help="where to write the grades")
    parser.add_argument("--cell-timeout", type=int, default=120, help="seconds one cell may run")
    parser.add_argument("--notebook-timeout", type=int, default=600, help="seconds one notebook may run")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder.")
    if args.reference is not None:
        try:
            json.loads(args.reference.read_text())["cells"]
        except (OSError, ValueError, KeyError, TypeError):
            parser.error(f"{args.reference} is not a notebook that can be read.")
    try:
        args.csv.open("a").close()
    except OSError as error:
        parser.error(f"The grades cannot be written to {args.csv} ({error.strerror or error}).")
    grades = grade_folder(args.folder, args.reference, args.csv, args.cell_timeout, args.notebook_timeout)
    if not grades:
        print(f"There are no notebooks in {args.folder}.")
        return 1
    print(table(grades))
    print(f"\nwritten to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
