"""The registration queue (SQS): accepted registrations wait here for the verification worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pushgate.adapters.sqs import SqsBatchSender
from pushgate.models.device import RegistrationJob

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient


class SqsRegistrationQueue:
    """The SQS adapter of ``RegistrationQueue``."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        """Wraps a client for one queue."""
        self._sender = SqsBatchSender(client, queue_url, queue_name="registration")

    def send(self, jobs: Sequence[RegistrationJob]) -> None:
        """Enqueues every job.

        Raises:
            DependencyError: Some jobs could not be enqueued.
        """
        self._sender.send([job.model_dump_json() for job in jobs])
