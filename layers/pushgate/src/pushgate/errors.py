"""The one error taxonomy of Pushgate.

Services and adapters raise these; ``pushgate.api.resolver`` maps each class to an HTTP status
in one place, and queue workers decide retry or drop from the class. Messages are written for the
API client: they name the field and the problem and never contain secret material.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    code = "Error"

    def __str__(self) -> str:
        return self.message


class InvalidRequestError(PushgateError):
    """The client sent something Pushgate cannot accept (400)."""

    code = "InvalidRequest"

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


class UnauthorizedError(PushgateError):
    """Missing or invalid credentials (401). Says nothing about which part was wrong."""

    code = "Unauthorized"


class ForbiddenError(PushgateError):
    """Authenticated, but not allowed to do this (403)."""

    code = "Forbidden"


class NotFoundError(PushgateError):
    """The resource does not exist, or belongs to another org (404)."""

    code = "NotFound"


class ConflictError(PushgateError):
    """The request conflicts with the current state (409)."""

    code = "Conflict"


class PayloadTooLargeError(PushgateError):
    """The request body is larger than the route accepts (413)."""

    code = "PayloadTooLarge"


class UnsupportedMediaTypeError(InvalidRequestError):
    """The request body is not of a media type the route reads (415; bodies are JSON)."""

    code = "UnsupportedMediaType"


class DependencyError(PushgateError):
    """A backing service (DynamoDB, SQS, Secrets Manager, a provider) failed; retryable (503)."""

    code = "DependencyUnavailable"
