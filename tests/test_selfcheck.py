"""Self-checks of lab exercises print "Correct!" or "Not yet: ..." and never raise; hints come one step at a time."""
from __future__ import annotations

import pytest

from lambdanb.selfcheck import Hints, SelfCheck


def test_an_answer_that_meets_every_requirement_is_correct(capsys):
    with SelfCheck("The role reads invoices only.") as check:
        check.require(True, "unused")
    assert capsys.readouterr().out == "Correct! The role reads invoices only.\n"


def test_the_first_requirement_not_met_is_the_hint_shown(capsys):
    reached = []
    with SelfCheck("Correct! done") as check:
        check.require(1 + 1 == 2, "arithmetic")
        check.require(False, "write a whole number, such as 3.")
        reached.append("after")
    assert capsys.readouterr().out == "Not yet: write a whole number, such as 3.\n"
    assert not reached


@pytest.mark.parametrize("answer", [None, "four", {"qty": 1}])
def test_an_answer_that_raises_gets_a_not_yet_instead_of_a_traceback(answer, capsys):
    with SelfCheck("Correct!", when_broken="write a whole number.") as check:
        check.require(answer + 1 == 5, "not 4")
    printed = capsys.readouterr().out
    assert printed.startswith("Not yet: your answer raised TypeError (")
    assert " ".join(printed.split()).endswith("; write a whole number.")


def test_a_long_message_is_wrapped_so_that_no_line_is_cut_off(capsys):
    hint = "read context.get_remaining_time_in_millis() before each item, " * 4
    with SelfCheck("Correct!") as check:
        check.require(False, hint)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) > 1 and all(len(line) <= 110 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])
    assert " ".join(" ".join(lines).split()) == " ".join(f"Not yet: {hint}".split())


def test_an_interrupt_is_not_swallowed(capsys):
    with pytest.raises(KeyboardInterrupt):
        with SelfCheck("Correct!"):
            raise KeyboardInterrupt
    assert capsys.readouterr().out == ""


def test_hints_come_in_steps_and_say_when_there_is_more(capsys):
    hint = Hints("count the failing items.", "two events per failing item.")
    hint(1)
    hint(2)
    hint(3)
    hint("2")
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1: count the failing items. (hint(2) for more)",
        "Hint 2: two events per failing item.",
        "There are hints 1 to 2: hint(1), hint(2) ...",
        "There are hints 1 to 2: hint(1), hint(2) ..."]
