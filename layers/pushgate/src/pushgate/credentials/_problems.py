"""Collects every field problem found in one validation pass and raises them together."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from pushgate.errors import FieldProblem, InvalidRequestError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


class ProblemCollector:
    """Accumulates problems under a common field prefix such as ``Ios``.

    Validation keeps going after the first problem so that an operator fixes everything in one
    round trip instead of discovering the problems one save at a time.
    """

    def __init__(self, prefix: str) -> None:
        """Starts an empty collection.

        Args:
            prefix: Dotted path of the object being validated (``Ios``, ``Android``).
        """
        self._prefix = prefix
        self._problems: list[FieldProblem] = []

    def path(self, *segments: str) -> str:
        """Builds the dotted path of a field below the prefix.

        Args:
            *segments: Field names below the prefix, as the client sent them.

        Returns:
            The dotted path, for example ``Ios.SigningKey``.
        """
        return ".".join(part for part in (self._prefix, *segments) if part)

    def add(self, field_path: str, problem: str) -> None:
        """Records one problem.

        Args:
            field_path: Dotted path built with :meth:`path`.
            problem: What is wrong and how to fix it.
        """
        self._problems.append(FieldProblem(field_path, problem))

    @property
    def problems(self) -> list[FieldProblem]:
        """The problems recorded so far, in the order found."""
        return list(self._problems)

    def raise_all(self) -> NoReturn:
        """Raises the collected problems; for use right after recording one.

        Raises:
            InvalidRequestError: Always.
            RuntimeError: When nothing was recorded, which is a programming error.
        """
        if not self._problems:
            raise RuntimeError("raise_all called without any recorded problem")
        raise invalid_request(self._problems)

    def raise_if_any(self) -> None:
        """Raises the collected problems as one error.

        Raises:
            InvalidRequestError: When at least one problem was recorded.
        """
        if self._problems:
            raise invalid_request(self._problems)


def invalid_request(problems: Sequence[FieldProblem]) -> InvalidRequestError:
    """Builds one error that lists every problem.

    Args:
        problems: At least one problem.

    Returns:
        The error; its message names each field and its problem.
    """
    if len(problems) == 1:
        return InvalidRequestError.for_field(problems[0].field, problems[0].problem)
    listed = " ".join(f"{number}) {item.field}: {item.problem}" for number, item in enumerate(problems, start=1))
    return InvalidRequestError(
        message=f"The credentials have {len(problems)} problems: {listed}", problems=list(problems)
    )


def merge_problems(errors: Iterable[InvalidRequestError]) -> InvalidRequestError | None:
    """Joins several validation errors into one, keeping every problem.

    Args:
        errors: Errors raised by independent validations (iOS and Android).

    Returns:
        One error with all problems, or ``None`` when there were none.
    """
    problems = [problem for error in errors for problem in error.problems]
    return invalid_request(problems) if problems else None
