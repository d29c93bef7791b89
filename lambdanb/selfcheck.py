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
    key) prints "Not yet: " with what went wrong and `when_broken`; nothing escapes the cell."""

    def __init__(self, praise: str, when_broken: str = "check the type and shape of your answer.") -> None:
        self.praise = praise if praise.startswith("Correct!") else f"Correct! {praise}"
        self.when_broken = when_broken

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
            say(f"Not yet: {error}")
            return True
        if isinstance(error, Exception):
            say(f"Not yet: your answer raised {type(error).__name__} ({str(error)[:200]}); {self.when_broken}")
            return True
        return False  # KeyboardInterrupt and the like stop the cell, as the student asked


def say(message: str) -> None:
    print(textwrap.fill(message, WIDTH, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False))


class Hints:
    """An exercise's hints, from a nudge to nearly there: `hint(1)` first, `hint(2)` when still stuck."""

    def __init__(self, *steps: str) -> None:
        self.steps = steps

    def __call__(self, step: int = 1) -> None:
        if not isinstance(step, int) or not 1 <= step <= len(self.steps):
            print(f"There are hints 1 to {len(self.steps)}: hint(1), hint(2) ...")
            return
        more = f" (hint({step + 1}) for more)" if step < len(self.steps) else ""
        say(f"Hint {step}: {self.steps[step - 1]}{more}")
