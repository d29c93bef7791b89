"""All benchmarks in one table: every figure beside the floor it is measured against, the goal, and whether it was
met. `python benchmarks/run.py` (five to ten minutes); `--quick` for a shorter run with smaller counts."""
from __future__ import annotations

import argparse
import compileall
from pathlib import Path

import core
import service
from floor import Floor
from table import machine, print_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts: minutes instead of ten")
    args = parser.parse_args()
    # Bytecode as an installed package has it (pip compiles at install; Python writes it on first import unless told
    # not to): without it every new process compiles lambdanb's modules again, and the first result pays for that.
    compileall.compile_dir(Path(__file__).parent.parent / "lambdanb", quiet=1)
    floor = Floor.measure()
    rows = core.measure(floor, warm_n=2000 if args.quick else 5000, cold_n=20 if args.quick else 50)
    rows += service.measure(floor, events=20_000 if args.quick else 100_000, messages=2000 if args.quick else 10_000)
    after = Floor.measure()
    print(f"machine: {machine()}")
    print(f"floor before: {floor.describe()}")
    print(f"floor after:  {after.describe()}")
    print_table(rows)


if __name__ == "__main__":
    main()
