"""What the CLI reports when a command cannot do its job, with the exit code of each case.

Exit codes: 0 done; 1 the API refused the request (a 4xx, or an import with failed items);
2 usage error (Typer's, also a bad input file); 3 the API cannot be reached, answered a 5xx, or
no target is set (`pushgate login`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


@dataclass(frozen=True)
class Problem:
    """One entry of the API's ``Details``: the field and what is wrong with it."""

    field: str
    problem: str


@dataclass
class CliError(Exception):
    """A failure shown to the operator as one message (and the problems per field)."""

    message: str
    exit_code: int = EXIT_UNAVAILABLE
    code: str = ""
    status: int | None = None
    problems: list[Problem] = field(default_factory=list)
    body: Any = None

    def __str__(self) -> str:
        return self.message

    def as_json(self) -> dict[str, Any]:
        """The error as ``--json`` prints it (the API's shape, plus the HTTP status)."""
        return {
            "Error": {
                "Status": self.status,
                "Code": self.code,
                "Message": self.message,
                "Details": [{"Field": p.field, "Problem": p.problem} for p in self.problems],
            }
        }


def usage_error(message: str) -> CliError:
    """A command line or input file the CLI cannot use (exit 2)."""
    return CliError(message, exit_code=EXIT_USAGE, code="UsageError")


def error_from_response(status: int, body: Any, text: str) -> CliError:
    """Turns an API error answer into a CLI error naming the field and the problem.

    Args:
        status: The HTTP status (4xx or 5xx).
        body: The decoded JSON body, or ``None`` when it was not JSON.
        text: The raw body, shown when it has no recognisable error.

    Returns:
        Exit code 1 for a 4xx (the API refused), 3 for a 5xx (the API failed).
    """
    exit_code = EXIT_REFUSED if 400 <= status < 500 else EXIT_UNAVAILABLE
    error = body.get("Error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        problems = [
            Problem(str(item.get("Field", "")), str(item.get("Problem", "")))
            for item in error.get("Details") or []
            if isinstance(item, dict)
        ]
        return CliError(
            str(error.get("Message") or f"HTTP {status}"),
            exit_code=exit_code,
            code=str(error.get("Code") or ""),
            status=status,
            problems=problems,
            body=body,
        )
    if isinstance(body, dict) and isinstance(body.get("message"), str):  # API Gateway's own answers
        return CliError(body["message"], exit_code=exit_code, status=status, body=body)
    return CliError(text.strip()[:500] or f"HTTP {status}", exit_code=exit_code, status=status, body=body)
