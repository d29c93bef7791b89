"""Exercises in lab notebooks: a self-check that prints "Correct!" or "Not yet: ..." and never raises, and hints
given one step at a time."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass
class Exercise:
    """One exercise: its title, its hints from gentlest to most direct (none gives the answer), and what to say
    when it is solved."""

    title: str
    hints: Sequence[str]
    praise: str = ""

    def grade(self, check: Callable[[], str | None]) -> None:
        """Runs `check`, which returns None when the answer is right or one sentence on what is not yet right, and
        prints the verdict with the first hint. Whatever the answer makes the check raise is a "Not yet" too."""
        try:
            problem = check()
        except Exception as error:  # the student's answer may be of any type: the check must never raise
            problem = f"checking your answer failed with {type(error).__name__}: {error}"
        if problem is None:
            print(f"Correct! {self.praise}".rstrip())
            return
        print(f"Not yet: {problem}")
        if self.hints:
            print(f"Hint 1 of {len(self.hints)}: {self.hints[0]}")
            print(f"(Stuck? Run {self.title}.hint(2) for the next hint.)")

    def hint(self, step: int = 2) -> None:
        """Prints hint number `step` (the self-check prints the first)."""
        if not self.hints:
            print("This exercise has no hints.")
            return
        number = min(max(int(step), 1), len(self.hints))
        print(f"Hint {number} of {len(self.hints)}: {self.hints[number - 1]}")
        print("That was the last hint." if number == len(self.hints) else f"(Next: {self.title}.hint({number + 1}))")
