"""Send requests answered once per org and ``IdempotencyKey`` for 24 hours (Powertools idempotency).

The records live in the main table (``IDEMPOTENCY#sends``). Powertools' own errors become the API's
``ConflictError`` naming ``IdempotencyKey`` here, so handlers and services never see them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from pushgate.adapters.dynamodb.keys import SEND_IDEMPOTENCY_KEY_PREFIX
from pushgate.errors import ConflictError, FieldProblem

#: A repeated IdempotencyKey returns the first answer for this long.
IDEMPOTENCY_WINDOW_S: Final = 24 * 3600
#: The whole body, not only the key, must match for a repeat to be answered from the record.
SEND_IDEMPOTENCY_CONFIG: Final = IdempotencyConfig(
    event_key_jmespath="[org_id, key]",
    payload_validation_jmespath="body",
    expires_after_seconds=IDEMPOTENCY_WINDOW_S,
    raise_on_no_idempotency_key=True,
)


def _conflict(problem: str) -> ConflictError:
    return ConflictError(message=f"IdempotencyKey: {problem}", problems=[FieldProblem("IdempotencyKey", problem)])


def answered_once(
    accept: Callable[[], dict[str, Any]], store: BasePersistenceLayer
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """``accept`` behind the send idempotency records: call the result with the request's identity.

    The identity is ``{"org_id", "key", "body"}``; a repeat of the same org and key with the same
    body gets the first answer, with another body a ``ConflictError``.
    """

    def accept_with(idempotency: dict[str, Any]) -> dict[str, Any]:
        return accept()

    guarded: Callable[..., dict[str, Any]] = idempotent_function(
        accept_with,
        data_keyword_argument="idempotency",
        persistence_store=store,
        config=SEND_IDEMPOTENCY_CONFIG,
        key_prefix=SEND_IDEMPOTENCY_KEY_PREFIX,
    )

    def call(identity: dict[str, Any]) -> dict[str, Any]:
        try:
            return guarded(idempotency=identity)
        except IdempotencyValidationError:
            raise _conflict("was used within 24 hours for a different send; use a new key") from None
        except IdempotencyAlreadyInProgressError:
            raise _conflict("names a send that is still being accepted; retry in a few seconds") from None

    return call
