"""Delivery policies, held delivery jobs and frequency-cap histories in the main table.

Held jobs sit in their send's partition (``HELD#<jobId>``, zlib-compressed JSON as the queue would
carry them) and in a due index on ``GSI1`` (``DUE#<shard>`` sorted by due time), which the release
function reads every minute. A person's cap history is one small item per app: a map per scope
(``*``, ``category:<name>``) of the sends counted and when. Admitting a notification reads it
strongly consistently and writes it back conditioned on the revision read, so two sends racing for
the last slot never both get it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from pushgate.adapters.dynamodb.keys import (
    DUE_SHARDS,
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    HELD_JOB_PREFIX,
    TTL_ATTRIBUTE,
    delivery_policy_key,
    due_partition,
    due_shard,
    due_sort_key,
    frequency_cap_key,
    held_job_key,
    send_partition,
)
from pushgate.adapters.dynamodb.table import TableAdapter, model_from_item
from pushgate.errors import ConflictError, DependencyError
from pushgate.models.delivery_timing import CapRule, DeliveryPolicy, admitted
from pushgate.models.job_wire import decode_job, encode_job
from pushgate.models.send import DeliveryJob

#: Attempts of a cap admission when concurrent sends keep changing the person's history.
_ADMIT_ATTEMPTS: Final = 10


def _due_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DynamoDeliveryPolicies(TableAdapter):
    """The adapter of ``DeliveryPolicies``: delivery policies (``ORG#<orgId>`` / ``DELIVERYPOLICY#<appId>``)."""

    def get(self, org_id: str, app_id: str) -> DeliveryPolicy | None:
        item = self._table.get(delivery_policy_key(org_id, app_id))
        return None if item is None else model_from_item(DeliveryPolicy, item)

    def put(self, org_id: str, app_id: str, policy: DeliveryPolicy) -> None:
        self._table.put(
            delivery_policy_key(org_id, app_id),
            {"type": "DeliveryPolicy", **policy.model_dump(mode="json", exclude_none=True)},
        )


class DynamoHeldJobs(TableAdapter):
    """Held delivery jobs with their due index."""

    def hold(self, jobs: Sequence[DeliveryJob]) -> None:
        """Batch-writes the jobs with their due-index attributes (expiring a day after they are due)."""
        items = []
        for job in jobs:
            if job.due_at is None:
                raise ValueError("a held job needs its due_at")
            items.append(
                (
                    held_job_key(job.org_id, job.send_id, job.job_id),
                    {
                        "type": "HeldDeliveryJob",
                        "due_at": job.due_at,
                        "device_count": len(job.devices),
                        "job": encode_job(job),
                        GSI1_PARTITION_KEY: due_partition(due_shard(job.send_id, job.job_id)),
                        GSI1_SORT_KEY: due_sort_key(_due_text(job.due_at), job.org_id, job.send_id, job.job_id),
                        # A job the release never took (the function was off for a day) is not kept forever.
                        TTL_ATTRIBUTE: job.due_at + 86_400,
                    },
                )
            )
        self._table.put_many(items)

    @staticmethod
    def _job(item: Mapping[str, Any]) -> DeliveryJob:
        return decode_job(item["job"])

    def due(self, before: datetime, *, limit: int) -> list[DeliveryJob]:
        """Reads each shard of the due index up to ``before`` (the index projects the whole item)."""
        bound = before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "#\uffff"
        jobs: list[DeliveryJob] = []
        for shard in range(DUE_SHARDS):
            start: dict[str, Any] | None = None
            while len(jobs) < limit:
                items, start = self._table.query_gsi1_below(
                    due_partition(shard), bound, limit=min(100, limit - len(jobs)), start_key=start
                )
                jobs.extend(self._job(item) for item in items if "job" in item)
                if start is None:
                    break
        return jobs

    def of_send(self, org_id: str, send_id: str) -> list[DeliveryJob]:
        """Every held job in the send's partition."""
        return [self._job(item) for item in self._table.query_all(send_partition(org_id, send_id), HELD_JOB_PREFIX)]

    def remove(self, job: DeliveryJob) -> bool:
        """Deletes the held item; whether it was still there."""
        return self._table.delete(held_job_key(job.org_id, job.send_id, job.job_id))


class DynamoFrequencyCaps(TableAdapter):
    """Cap histories (``CAP#<orgId>#<appId>#<userId>`` / ``CAP``), written under a revision guard."""

    def admit(
        self, org_id: str, app_id: str, user_id: str, *, send_id: str, at: datetime, rules: Sequence[CapRule]
    ) -> bool:
        """Reads the history, decides, and writes it back only if nobody changed it meanwhile (retrying if so)."""
        if not rules:
            return True
        key = frequency_cap_key(org_id, app_id, user_id)
        epoch = int(at.timestamp())
        for _ in range(_ADMIT_ATTEMPTS):
            item = self._table.get(key)
            revision = int(item["revision"]) if item is not None else None
            scopes: dict[str, dict[str, int]] = {
                scope: {sent: int(counted) for sent, counted in history.items()}
                for scope, history in (item or {}).get("scopes", {}).items()
            }
            if all(send_id in scopes.get(rule.scope, {}) for rule in rules):
                return True
            if not all(admitted(scopes.get(rule.scope, {}), send_id, epoch, rule) for rule in rules):
                return False
            for rule in rules:
                # Only what can still count is kept: the item stays a few hundred bytes (1 WCU).
                kept = {s: t for s, t in scopes.get(rule.scope, {}).items() if t > epoch - rule.period_s}
                kept[send_id] = epoch
                scopes[rule.scope] = kept
            expires = epoch + max(rule.period_s for rule in rules)
            attributes = {
                "type": "FrequencyCapHistory",
                "revision": (revision or 0) + 1,
                "scopes": scopes,
                # Never earlier than before: another scope's longer window may still need its entries.
                TTL_ATTRIBUTE: max(expires, int((item or {}).get(TTL_ATTRIBUTE, 0))),
            }
            try:
                if revision is None:
                    self._table.put_new(key, attributes)
                else:
                    self._table.replace_revision(key, attributes, revision)
            except ConflictError:
                continue  # another send counted for this person meanwhile: decide again on what it wrote
            return True
        raise DependencyError(message="the frequency cap could not be counted; the delivery will be retried")
