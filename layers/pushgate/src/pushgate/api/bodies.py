"""The one reader of JSON request bodies: every route's body goes through :func:`json_body`.

It answers every bad body with a 4xx naming ``body`` (or the field): a media type other than JSON
is 415, a body over the route's limit 413, and 400 for the rest: not UTF-8, not JSON, nested deeper
than :data:`MAX_DEPTH`, a number too long to store or not finite, or text with control characters
(see :mod:`pushgate.text`). Nothing about a bad body is logged as an error: it is the client's.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from pydantic import BaseModel, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from pushgate.credentials.inputs import problems_from_validation_error
from pushgate.errors import FieldProblem, InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError
from pushgate.text import text_problem

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_BODY_BYTES = 256 * 1024
#: Objects and arrays nest at most this deep (DynamoDB itself stops at 32 levels).
MAX_DEPTH = 16
#: Integers have at most this many digits (DynamoDB numbers keep 38 significant digits).
MAX_INTEGER_DIGITS = 38
#: At most this many problems are listed for one body.
MAX_PROBLEMS = 20
_JSON_MEDIA_TYPES = ("application/json",)
_UTF8_CHARSETS = {"utf-8", "utf8"}
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
#: What a 415 asks for: `curl -d` alone sends application/x-www-form-urlencoded, the usual cause.
_SEND_JSON = (
    "send the JSON body with Content-Type: application/json "
    "(curl: -H 'Content-Type: application/json' or --json; -d alone sends a form)"
)


class _NumberProblem(ValueError):
    pass


def _parse_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _NumberProblem(f"holds an integer of more than {MAX_INTEGER_DIGITS} digits")
    return int(literal)


def _parse_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value) or len(literal) > 2 * MAX_INTEGER_DIGITS:
        raise _NumberProblem("holds a number too large to store")
    return value


def _refuse_constant(literal: str) -> Any:
    raise _NumberProblem(f"holds {literal}, which is not JSON")


def _check_media_type(content_type: str | None) -> None:
    if not content_type:
        return  # CI-J's samples do not always send one; the body must still be JSON
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type not in _JSON_MEDIA_TYPES and not media_type.endswith("+json"):
        # Named back only when it has the shape of a media type (a header is client text).
        received = f"is {media_type}; " if _MEDIA_TYPE.fullmatch(media_type) else ""
        raise UnsupportedMediaTypeError.for_field("header.content-type", received + _SEND_JSON)
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in _UTF8_CHARSETS:
            raise UnsupportedMediaTypeError.for_field("header.content-type", "JSON bodies are UTF-8 (charset=utf-8)")


def _body_text(event: BaseProxyEvent, max_bytes: int) -> str | None:
    raw = event.body
    if not raw:
        return None
    if event.is_base64_encoded:
        try:
            data = base64.b64decode(raw, validate=True)
        except (ValueError, binascii.Error):
            raise InvalidRequestError.for_field("body", "is not valid JSON") from None
    else:
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > max_bytes:
        raise PayloadTooLargeError(message=f"the body is {len(data)} bytes; at most {max_bytes} are accepted")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError.for_field("body", "is not valid UTF-8") from None


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _structure_problems(document: Any) -> list[FieldProblem]:
    """Depth and text problems, found without recursion (a body is not trusted to be shallow)."""
    problems: list[FieldProblem] = []
    pending: list[tuple[Any, str, int]] = [(document, "", 0)]
    while pending and len(problems) < MAX_PROBLEMS:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            problem = text_problem(value, single_line=False)
            if problem is not None:
                problems.append(FieldProblem(path or "body", problem))
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            return [FieldProblem("body", f"nests objects and arrays deeper than {MAX_DEPTH} levels")]
        if isinstance(value, list):
            pending.extend((item, _join(path, index), depth + 1) for index, item in enumerate(value))
            continue
        for key, item in value.items():
            problem = text_problem(key, single_line=True)
            if problem is not None:
                problems.append(FieldProblem(path or "body", f"has a field name that {problem}"))
                continue
            pending.append((item, _join(path, key), depth + 1))
    return sorted(problems, key=lambda p: p.field)


def json_body(event: BaseProxyEvent, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The request body as JSON, checked for everything that does not depend on the route's model.

    Args:
        event: The request (its body, ``isBase64Encoded`` flag and ``Content-Type``).
        max_bytes: Largest body accepted.

    Returns:
        The decoded JSON value, or ``None`` when there is no body.

    Raises:
        UnsupportedMediaTypeError: The ``Content-Type`` is not JSON (415).
        PayloadTooLargeError: The body is larger than ``max_bytes`` (413).
        InvalidRequestError: Not UTF-8, not JSON, too deep, a number that cannot be stored, or
            text with control characters; every problem names its field.
    """
    text = _body_text(event, max_bytes)
    if text is None:
        return None
    _check_media_type(event.headers.get("content-type"))
    try:
        document = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidRequestError.for_field(
            "body", f"nests objects and arrays deeper than {MAX_DEPTH} levels"
        ) from None
    except _NumberProblem as problem:
        raise InvalidRequestError.for_field("body", str(problem)) from None
    except ValueError:
        raise InvalidRequestError.for_field("body", "is not valid JSON") from None
    problems = _structure_problems(document)
    if problems:
        raise invalid(problems)
    return document


class _SentTwice:
    """What a field holds when a body names it more than once in different letter cases."""

    __slots__ = ("spellings",)

    def __init__(self, spellings: list[str]) -> None:
        self.spellings = spellings


class CaseInsensitiveBody(BaseModel):
    """A public device-API body whose JSON names match fields whatever their letter case.

    CI-J's public API is ASP.NET Core, whose JSON binding (System.Text.Json with
    ``PropertyNameCaseInsensitive``) reads ``trackingId`` and ``TRACKINGID`` as ``TrackingId``; apps
    written against it send camelCase. Names match by ASCII letter case only, so a look-alike
    letter (U+212A KELVIN SIGN for ``K``) is not the field, as in .NET's ordinal comparison. A field
    named twice in different cases (``ApiToken`` and ``apiToken``) is refused, naming the field:
    ASP.NET keeps the last, but a client that sends two values cannot mean both, and guessing one
    is how two readers of one body come to disagree. Nested bodies match the same way when their
    models derive from this class too. Errors name fields as documented (``TrackingId``).
    """

    @model_validator(mode="before")
    @classmethod
    def _match_names_ignoring_case(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        by_lower_case = {name.lower(): name for name in cls.model_fields}
        matched: dict[str, Any] = {}
        spellings: dict[str, list[str]] = {}
        for key, value in data.items():
            name = by_lower_case.get(key.lower(), key) if isinstance(key, str) and key.isascii() else key
            spellings.setdefault(name, []).append(key)
            matched[name] = value
        for name, sent in spellings.items():
            if len(sent) > 1:
                matched[name] = _SentTwice(sent)
        return matched

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_a_name_sent_twice(cls, value: Any) -> Any:
        if isinstance(value, _SentTwice):
            raise PydanticCustomError(
                "name_sent_twice",
                "is sent more than once, as {spellings}; send it once",
                {"spellings": ", ".join(value.spellings)},
            )
        return value


def invalid(problems: list[FieldProblem]) -> InvalidRequestError:
    """One error listing every problem."""
    return InvalidRequestError(message="; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)


def validate_object(model: type[ModelT], value: Any, prefix: str = "") -> ModelT:
    """Validates one decoded JSON object against a request model.

    Args:
        model: The request model (its errors never echo input values).
        value: The decoded value.
        prefix: Where the object sits in the body (``[3]`` inside a batch), for field names.

    Raises:
        InvalidRequestError: Not an object, or the model's problems, each with its field.
    """
    if not isinstance(value, dict):
        raise InvalidRequestError.for_field(prefix or "body", "must be a JSON object")
    try:
        return model.model_validate(value)
    except ValidationError as error:
        raise invalid(problems_from_validation_error(error, prefix=prefix)) from None


def parse_json_body(
    event: BaseProxyEvent,
    model: type[ModelT],
    *,
    max_bytes: int = MAX_BODY_BYTES,
    default: Callable[[], ModelT] | None = None,
) -> ModelT:
    """Decodes and validates a JSON object body.

    Args:
        event: The request.
        model: The request model.
        max_bytes: Largest body accepted.
        default: What an empty body means, for routes whose body is optional; without it a body is
            required.

    Returns:
        The validated model.

    Raises:
        UnsupportedMediaTypeError: The ``Content-Type`` is not JSON.
        PayloadTooLargeError: The body is larger than ``max_bytes``.
        InvalidRequestError: The body is missing, not JSON, not an object, or breaks the model;
            every problem is listed with its field.
    """
    document = json_body(event, max_bytes=max_bytes)
    if document is None:
        if default is not None:
            return default()
        raise InvalidRequestError.for_field("body", "is required: send a JSON object")
    return validate_object(model, document)
