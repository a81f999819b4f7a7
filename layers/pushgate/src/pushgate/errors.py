"""The one error taxonomy of Pushgate.

Services and adapters raise these; ``pushgate.api.resolver`` maps each class to an HTTP status
in one place, and queue workers decide retry or drop from the class. Messages are written for the
API client: they name the field and the problem and never contain secret material.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field.

    Attributes:
        field: Dotted path of the field as the client sent it (``Ios.SigningKey``, ``Name``).
        problem: What is wrong, in words a client developer can act on.
    """

    field: str
    problem: str


@dataclass
class PushgateError(Exception):
    """Base of every error Pushgate raises on purpose.

    Attributes:
        message: A sentence for the client; never contains secrets.
        problems: Field-level details, when the error is about input.
    """

    message: str
    problems: list[FieldProblem] = field(default_factory=list)

    #: Stable machine-readable code used in error bodies.
    code: ClassVar[str] = "Error"

    def __init_subclass__(cls, *, code: str | None = None, **kwargs: Any) -> None:
        # A subclass names its code in its header: ``class NotFoundError(PushgateError, code="NotFound")``.
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code

    def __str__(self) -> str:
        return self.message


class InvalidRequestError(PushgateError, code="InvalidRequest"):
    """The client sent something Pushgate cannot accept (400)."""

    @classmethod
    def for_field(cls, field_path: str, problem: str) -> InvalidRequestError:
        """Builds the error for a single field.

        Args:
            field_path: Dotted path of the offending field.
            problem: What is wrong with it.

        Returns:
            The error, with a message that names the field.
        """
        return cls(message=f"{field_path}: {problem}", problems=[FieldProblem(field_path, problem)])


class UnauthorizedError(PushgateError, code="Unauthorized"):
    """Missing or invalid credentials (401). Says nothing about which part was wrong."""


class ForbiddenError(PushgateError, code="Forbidden"):
    """Authenticated, but not allowed to do this (403)."""


class NotFoundError(PushgateError, code="NotFound"):
    """The resource does not exist, or belongs to another org (404)."""


class ConflictError(PushgateError, code="Conflict"):
    """The request conflicts with the current state (409)."""


class PayloadTooLargeError(PushgateError, code="PayloadTooLarge"):
    """The request body is larger than the route accepts (413)."""


class UnsupportedMediaTypeError(InvalidRequestError, code="UnsupportedMediaType"):
    """The request body is not of a media type the route reads (415; bodies are JSON)."""


class DependencyError(PushgateError, code="DependencyUnavailable"):
    """A backing service (DynamoDB, SQS, Secrets Manager, a provider) failed; retryable (503)."""
