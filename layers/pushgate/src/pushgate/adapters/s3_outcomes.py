"""Delivery jobs' outcomes as S3 objects: one object per job, written once.

A job's outcomes (the ledger codec's bytes, about 60 a device) are the biggest thing a send stores.
In DynamoDB they cost a write unit per started KB and $0.25 per GB-month for as long as they are
kept; one S3 ``PUT`` per job costs a fixed $0.005 per 1,000 whatever its size, and S3 Standard keeps
the bytes for a tenth of DynamoDB's price (``docs/decisions.md``, "A job's outcomes are an S3 object").
The bucket's lifecycle rule removes them after ``InteractionRetentionDays``, as the template says of
every interaction record.

The object is created only if absent (``If-None-Match: *``): the first run to record a job's
outcomes wins, and a later one (a run that took the job over) reads them back, as it did from the
conditional ``PutItem`` of the outcomes item this replaces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from pushgate.errors import DependencyError
from pushgate.observability import logger

#: The folder of every job's outcomes: ``outcomes/<orgId>/<sendId>/<jobId>``.
OUTCOMES_PREFIX: Final = "outcomes/"
#: S3's answers to a conditional write that found the object (``412``), or that raced another
#: conditional write of the same key (``409``): either way another run recorded the outcomes.
_ALREADY_WRITTEN: Final = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_NOT_FOUND: Final = frozenset({"NoSuchKey", "404"})


class ObjectClient(Protocol):
    """The two calls of a botocore S3 client the store makes."""

    def put_object(self, **kwargs: Any) -> Any: ...

    def get_object(self, **kwargs: Any) -> Any: ...


def outcomes_object_key(org_id: str, send_id: str, job_id: str) -> str:
    """Where a job's outcomes are kept in the bucket."""
    return f"{OUTCOMES_PREFIX}{org_id}/{send_id}/{job_id}"


def send_outcomes_prefix(org_id: str, send_id: str) -> str:
    """The folder of one send's jobs' outcomes."""
    return f"{OUTCOMES_PREFIX}{org_id}/{send_id}/"


class S3JobOutcomes:
    """Job outcomes in one S3 bucket (``LEDGER_BUCKET``)."""

    def __init__(self, client: Callable[[], ObjectClient], bucket: str) -> None:
        """Binds the store to its bucket.

        Args:
            client: Gives the botocore S3 client, called on the first object read or written (a
                cached factory: building the client loads S3's model, which most calls never need).
            bucket: The ledger bucket's name.
        """
        self._client = client
        self._bucket = bucket

    def put_new(self, org_id: str, send_id: str, job_id: str, body: bytes) -> bool:
        """Creates the job's object; ``False`` when it already exists (another run recorded the job).

        Raises:
            DependencyError: S3 failed otherwise (the delivery is retried).
        """
        key = outcomes_object_key(org_id, send_id, job_id)
        answer = self._call(
            "put",
            key,
            _ALREADY_WRITTEN,
            lambda: self._client().put_object(
                Bucket=self._bucket, Key=key, Body=body, IfNoneMatch="*", ContentType="application/octet-stream"
            ),
        )
        return answer is not None

    def get(self, org_id: str, send_id: str, job_id: str) -> bytes | None:
        """The job's object, or ``None`` when there is none (never written, or expired).

        Raises:
            DependencyError: S3 failed.
        """
        key = outcomes_object_key(org_id, send_id, job_id)

        def read() -> bytes:
            body: bytes = self._client().get_object(Bucket=self._bucket, Key=key)["Body"].read()
            return body

        found: bytes | None = self._call("get", key, _NOT_FOUND, read)
        return found

    def _call(self, action: str, key: str, expected: frozenset[str], call: Callable[[], Any]) -> Any:
        """``call``'s answer; ``None`` for an error S3 answers with one of the ``expected`` codes.

        Raises:
            DependencyError: Any other failure (logged with the bucket and key).
        """
        try:
            return call()
        except (ClientError, BotoCoreError) as error:
            if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in expected:
                return None
            logger.exception("job outcomes object %s failed", action, extra={"bucket": self._bucket, "key": key})
            raise DependencyError(message="the ledger store is unavailable; try again") from error
