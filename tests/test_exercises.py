"""Exercises: self-checks print a verdict and never raise; hints come one step at a time."""
from __future__ import annotations

from lambdanb.exercises import Exercise

BILLED = Exercise("billed", ["Billing rounds up.", "To the next millisecond."], praise="Billing rounds up.")


def test_a_right_answer_is_correct(capsys):
    BILLED.grade(lambda: None)
    assert capsys.readouterr().out == "Correct! Billing rounds up.\n"


def test_a_wrong_answer_is_not_yet_with_the_first_hint(capsys):
    BILLED.grade(lambda: "27 is what AWS bills, you wrote 26.")
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["Not yet: 27 is what AWS bills, you wrote 26.",
                       "Hint 1 of 2: Billing rounds up.", "(Stuck? Run billed.hint(2) for the next hint.)"]


def test_an_answer_that_breaks_the_check_is_not_yet(capsys):
    answer = None
    BILLED.grade(lambda: None if answer["name"] == "Ada" else "wrong")  # type: ignore[index]
    assert capsys.readouterr().out.startswith(
        "Not yet: checking your answer failed with TypeError: 'NoneType' object is not subscriptable")


def test_hints_come_in_steps_and_stop_at_the_last(capsys):
    BILLED.hint(2)
    BILLED.hint(9)
    assert capsys.readouterr().out.splitlines() == ["Hint 2 of 2: To the next millisecond.", "That was the last hint."] * 2
    BILLED.hint(1)
    assert capsys.readouterr().out.splitlines() == ["Hint 1 of 2: Billing rounds up.", "(Next: billed.hint(2))"]
