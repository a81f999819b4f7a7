"""The error mapping: one status per error class, field names as the client sent them."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest

from pushgate.api import resolver
from pushgate.errors import (
    ConflictError,
    DependencyError,
    FieldProblem,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
    PushgateError,
    UnauthorizedError,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidRequestError(message="x"), 400),
        (UnauthorizedError(message="x"), 401),
        (ForbiddenError(message="x"), 403),
        (NotFoundError(message="x"), 404),
        (ConflictError(message="x"), 409),
        (PayloadTooLargeError(message="x"), 413),
        (DependencyError(message="x"), 503),
        (PushgateError(message="x"), 500),
    ],
)
def test_every_error_class_has_one_status(error: PushgateError, status: int) -> None:
    assert resolver._status_for(error) == status


def test_error_response_body_shape() -> None:
    response = resolver.error_response(
        HTTPStatus.BAD_REQUEST,
        "InvalidRequest",
        "Ios.KeyId: must be 10 characters",
        [FieldProblem("Ios.KeyId", "must be 10 characters")],
    )

    assert response.status_code == 400
    assert json.loads(response.body) == {
        "Error": {
            "Code": "InvalidRequest",
            "Message": "Ios.KeyId: must be 10 characters",
            "Details": [{"Field": "Ios.KeyId", "Problem": "must be 10 characters"}],
        }
    }


def test_validation_locations_become_client_field_paths() -> None:
    problems = resolver.problems_from_validation(
        [
            {"type": "missing", "loc": ("body", "Ios", "KeyId"), "msg": "Field required"},
            {"type": "int_parsing", "loc": ("query", "limit"), "msg": "Input should be a valid integer"},
            {"type": "json_invalid", "loc": ("body", 9), "msg": "JSON decode error"},
            {"type": "missing", "loc": ("body",), "msg": "Field required"},
        ]
    )

    assert problems == [
        FieldProblem("Ios.KeyId", "Field required"),
        FieldProblem("query.limit", "Input should be a valid integer"),
        FieldProblem("body", "is not valid JSON"),
        FieldProblem("body", "Field required"),
    ]


def test_invalid_request_for_field_names_the_field() -> None:
    error = InvalidRequestError.for_field("Name", "must not be empty")

    assert str(error) == "Name: must not be empty"
    assert error.problems == [FieldProblem("Name", "must not be empty")]
