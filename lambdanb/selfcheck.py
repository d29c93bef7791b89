"""Self-checks for lab exercises: a check prints "Correct!" or "Not yet: ..." and never raises, and hints come in
steps that a student asks for one at a time."""
from __future__ import annotations

import textwrap
from types import TracebackType

WIDTH = 110  # a message is wrapped to this width, so that no line is cut off where outputs do not wrap


class NotYet(Exception):
    """A requirement of the exercise that the answer does not meet yet (its text is the hint shown)."""


class SelfCheck:
    """`with SelfCheck("Correct! ...") as check:` then `check.require(condition, "hint")` for each requirement.
    The first requirement not met prints "Not yet: <hint>"; an answer that raises (a wrong type, None, a missing
    key) prints "Not yet: " with what went wrong and `when_broken`; nothing escapes the cell. Given `hints`, a
    "Not yet" is followed by the first hint and how to ask for the next."""

    def __init__(self, praise: str, when_broken: str = "check the type and shape of your answer.",
                 hints: Hints | None = None) -> None:
        self.praise = praise if praise.startswith("Correct!") else f"Correct! {praise}"
        self.when_broken = when_broken
        self.hints = hints

    def require(self, condition: object, not_yet: str) -> None:
        if not condition:
            raise NotYet(not_yet)

    def __enter__(self) -> SelfCheck:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> bool:
        if error is None:
            say(self.praise)
            return False
        if isinstance(error, NotYet):
            self.not_yet(str(error))
            return True
        if isinstance(error, Exception):
            self.not_yet(f"your answer raised {type(error).__name__} ({str(error)[:200]}); {self.when_broken}")
            return True
        return False  # KeyboardInterrupt and the like stop the cell, as the student asked

    def not_yet(self, problem: str) -> None:
        say(f"Not yet: {problem}")
        if self.hints is not None:
            self.hints(1)


def say(message: str) -> None:
    print(textwrap.fill(message, WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False))


class Hints:
    """An exercise's hints, from a nudge to nearly there: `hint(1)` first, `hint(2)` when still stuck. `name` is
    the variable the notebook keeps them in, so that each hint says what to run for the next."""

    def __init__(self, *steps: str, name: str = "hint") -> None:
        self.steps = steps
        self.name = name

    def __call__(self, step: int = 1) -> None:
        if not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= len(self.steps):
            print(f"There are hints 1 to {len(self.steps)}: {self.name}(1), {self.name}(2) ...")
            return
        say(f"Hint {step} of {len(self.steps)}: {self.steps[step - 1]}")
        if step < len(self.steps):
            print(f"(Still stuck? Run {self.name}({step + 1}) for the next hint.)")
