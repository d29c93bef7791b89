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
        "Hint 1 of 2: count the failing items.", "(Still stuck? Run hint(2) for the next hint.)",
        "Hint 2 of 2: two events per failing item.",
        "There are hints 1 to 2: hint(1), hint(2) ...",
        "There are hints 1 to 2: hint(1), hint(2) ..."]


def test_a_check_given_hints_follows_its_not_yet_with_the_first_one(capsys):
    hint_billed = Hints("billing rounds up.", "to the next millisecond.", name="hint_billed")
    answer = "27"
    with SelfCheck("Correct! AWS rounds up.", hints=hint_billed) as check:
        check.require(isinstance(answer, int), f"predicted_billed_ms is {answer!r}; write a number.")
    assert capsys.readouterr().out.splitlines() == [
        "Not yet: predicted_billed_ms is '27'; write a number.",
        "Hint 1 of 2: billing rounds up.", "(Still stuck? Run hint_billed(2) for the next hint.)"]


def test_an_answer_that_raises_still_gets_the_first_hint(capsys):
    answer = None
    with SelfCheck("Correct!", hints=Hints("read the event.", "use .get().")) as check:
        check.require(answer["name"] == "Ada", "unused")  # type: ignore[index]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Not yet: your answer raised TypeError (")
    assert printed[-2:] == ["Hint 1 of 2: read the event.", "(Still stuck? Run hint(2) for the next hint.)"]


def test_a_right_answer_prints_no_hint(capsys):
    with SelfCheck("Correct! done", hints=Hints("never shown.")) as check:
        check.require(True, "unused")
    assert capsys.readouterr().out == "Correct! done\n"


def test_hints_say_their_own_name(capsys):
    hint_cold = Hints("a new environment runs INIT.", "nothing changed the code.", name="hint_cold")
    hint_cold(1)
    hint_cold(0)
    hint_cold(True)  # type: ignore[arg-type]
    assert capsys.readouterr().out.splitlines() == [
        "Hint 1 of 2: a new environment runs INIT.", "(Still stuck? Run hint_cold(2) for the next hint.)",
        "There are hints 1 to 2: hint_cold(1), hint_cold(2) ...",
        "There are hints 1 to 2: hint_cold(1), hint_cold(2) ..."]
