"""Ports of delivery timing and fatigue: app delivery policies, held delivery jobs, frequency caps.

Adapters live in ``pushgate.repositories.dynamodb.delivery_timing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pushgate.models.delivery_timing import CapRule, DeliveryPolicy
from pushgate.models.send import DeliveryJob


class DeliveryPolicies(Protocol):
    """Apps' delivery policies."""

    def get(self, org_id: str, app_id: str) -> DeliveryPolicy | None:
        """The policy an operator set for the app, or ``None``."""

    def put(self, org_id: str, app_id: str, policy: DeliveryPolicy) -> None:
        """Stores (replaces) the app's policy."""


class HeldJobs(Protocol):
    """Delivery jobs held back until they are due (scheduled sends, quiet hours)."""

    def hold(self, jobs: Sequence[DeliveryJob]) -> None:
        """Stores jobs (each with its ``due_at``) until they are released or canceled."""

    def due(self, before: datetime, *, limit: int) -> list[DeliveryJob]:
        """Held jobs due before an instant, earliest first within each index shard (at most ``limit``)."""

    def of_send(self, org_id: str, send_id: str) -> list[DeliveryJob]:
        """Every job a send still holds."""

    def remove(self, job: DeliveryJob) -> bool:
        """Forgets a held job (released or canceled); ``False`` when another run removed it first."""


class SendCancellations(Protocol):
    """Whether a send was canceled (read by the delivery worker before each job)."""

    def is_canceled(self, org_id: str, send_id: str) -> bool:
        """Whether the send was canceled."""


class FrequencyCaps(Protocol):
    """People's notification histories, against which frequency caps are counted."""

    def admit(
        self, org_id: str, app_id: str, user_id: str, *, send_id: str, at: datetime, rules: Sequence[CapRule]
    ) -> bool:
        """Counts one notification of ``send_id`` for the person if every rule still allows it.

        Exact under concurrency (a conditional write on the person's history); a send already
        counted is admitted again without counting twice.

        Returns:
            ``False`` when a cap is reached (nothing is counted).
        """
