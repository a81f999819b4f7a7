"""Sends, delivery-job claims (which become the ledger), parked jobs and insight counters.

A delivery job's claim is put before any provider call (``attribute_not_exists``); completing it
records the outcomes of all the job's devices (``ledger_codec``'s bytes, written once: an S3 object
when the repository has a bucket, else an item beside the claim), then turns the claim ``Done`` and
adds the outcomes to the send's totals in one transaction, so totals never count a job twice and
never miss one that is recorded.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Final

from pushgate.adapters.dynamodb.delivery_progress import decode_fates, encode_fates
from pushgate.adapters.dynamodb.keys import (
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    JOB_OUTCOMES_SUFFIX,
    JOB_PREFIX,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    ItemKey,
    audience_page_key,
    delivery_job_key,
    insight_counter_key,
    interaction_partition,
    job_outcomes_key,
    parked_job_key,
    parked_jobs_partition,
    segment_page_key,
    send_history_keys,
    send_history_partition,
    send_history_prefix,
    send_key,
    send_partition,
    send_reference_sort_key,
    tracking_key_key,
)
from pushgate.adapters.dynamodb.ledger_codec import decode_entries, encode_entries
from pushgate.adapters.dynamodb.table import (
    MainTable,
    decode_opaque_token,
    decode_page_token,
    encode_opaque_token,
    encode_page_token,
)
from pushgate.adapters.s3_outcomes import S3JobOutcomes
from pushgate.errors import ConflictError, DependencyError, InvalidRequestError, PushgateError
from pushgate.models.delivery_progress import JobProgress
from pushgate.models.device import DevicePlatform
from pushgate.models.job_wire import decode_job, encode_job
from pushgate.models.send import DeliveryJob, LedgerEntry, Outcome, SendContext, SendRecord, segment_fanout_job_id
from pushgate.observability import logger
from pushgate.services.sends.ports import (
    AudiencePageCount,
    ClaimState,
    JobOutcomes,
    LedgerPage,
    PageCount,
    SegmentPageCount,
    SendHistoryFilter,
)

#: The ledger item of the outcomes decided at fan-out (recipients without a device to try).
FANOUT_JOB_ID = "fanout"
_SEND_FIELDS = tuple(SendRecord.model_fields)
#: Job items read per ledger page query (each holds up to a job's worth of entries).
_JOBS_PER_QUERY = 25
#: How long interaction records (and the references that put a send's ledger into exports) are kept.
DEFAULT_INTERACTION_RETENTION: Final = timedelta(days=90)
#: Prefix of an insight counter's per-reason ``NotSent`` attributes (``not_sent:Unregistered``).
NOT_SENT_REASON_ATTRIBUTE_PREFIX: Final = "not_sent:"


def _send_from_item(item: Mapping[str, Any]) -> SendRecord:
    values = {name: item[name] for name in _SEND_FIELDS if name in item}
    for counted in ("not_sent_reasons", "scheduled", "scheduled_recipients", "released"):
        values[counted] = {name: int(count) for name, count in item.get(counted, {}).items()}
    return SendRecord.model_validate(values)


def _reason_counts(entries: Sequence[LedgerEntry]) -> tuple[int, int, dict[str, int]]:
    sent = sum(1 for entry in entries if entry.outcome is Outcome.SENT)
    reasons: dict[str, int] = {}
    for entry in entries:
        if entry.outcome is Outcome.NOT_SENT:
            reason = entry.reason or "Unknown"
            reasons[reason] = reasons.get(reason, 0) + 1
    return sent, len(entries) - sent, reasons


def _page_totals_update(
    count: PageCount, *, accepted: int = 0, segment_page: int | None = None
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The update of a send record adding one broadcast or segment page (``accepted``: the people a
    segment page took on; ``segment_page``: the number of a segment's page, counted among its
    pages, and for the last one its pages in all)."""
    devices, jobs, last, outcomes, deferred = count.devices, count.jobs, count.last, count.entries, count.deferred
    update = "ADD #devices :devices, #jobs :jobs" + (", #pending :minus_one" if last else "")
    values: dict[str, Any] = {":devices": devices, ":jobs": jobs}
    names = {"#devices": "devices_targeted", "#jobs": "jobs_total"}
    if last:
        values[":minus_one"] = -1
        names["#pending"] = "audience_shards_pending"
    if segment_page is not None:
        # The last page can be counted before an earlier one (pages are read in parallel): the send
        # is complete only once as many pages are counted as the last one says there are.
        update += ", #pages_counted :one_page"
        names["#pages_counted"] = "segment_pages_counted"
        values[":one_page"] = 1
        if last:
            update += ", #pages :pages"
            names["#pages"] = "segment_pages"
            values[":pages"] = segment_page + 1
    if accepted:
        update += ", #accepted :accepted"
        names["#accepted"] = "recipients_accepted"
        values[":accepted"] = accepted
    sent, not_sent, reasons = _reason_counts(outcomes)
    if outcomes:
        update += ", #outcomes :outcomes, #sent :sent, #not_sent :not_sent"
        names.update({"#outcomes": "recipient_outcomes", "#sent": "sent", "#not_sent": "not_sent"})
        values.update({":outcomes": len(outcomes), ":sent": sent, ":not_sent": not_sent})
    if deferred:
        update += ", #deferred :deferred"
        names["#deferred"] = "deferred"
        values[":deferred"] = deferred
    assignments: list[str] = []
    maps = (
        ("not_sent_reasons", reasons),
        ("scheduled", count.scheduled),
        ("scheduled_recipients", count.scheduled_recipients),
    )
    for number, (attribute, counts) in enumerate(maps):
        for index, (name, added) in enumerate(sorted(counts.items())):
            names[f"#m{number}"] = attribute
            names[f"#m{number}k{index}"] = name
            values[f":m{number}k{index}"] = added
            values[":zero"] = 0
            path = f"#m{number}.#m{number}k{index}"
            assignments.append(f"{path} = if_not_exists({path}, :zero) + :m{number}k{index}")
    if assignments:
        update += " SET " + ", ".join(assignments)
    return update, names, values


def _page_insights(count: PageCount) -> dict[str, int]:
    """What a broadcast or segment page adds to the day's insight counters: its outcomes decided
    without a job (no push consent, no device...) and its deferrals; its jobs count their own."""
    sent, not_sent, reasons = _reason_counts(count.entries)
    return {"deferred": count.deferred, **delivery_counts(sent, not_sent, reasons)}


def audience_outcomes_job_id(shard: int, page: int) -> str:
    """The ledger item holding a broadcast page's outcomes decided without a job (``03-000012-nd``)."""
    return f"{shard:02d}-{page:06d}-nd"


def _totals_update(sent: int, not_sent: int, reasons: Mapping[str, int], parked: int) -> dict[str, Any]:
    """The ``Update`` action adding one job's counts to a send record."""
    names: dict[str, str] = {
        "#sent": "sent",
        "#not_sent": "not_sent",
        "#jobs_done": "jobs_done",
        "#parked": "parked",
    }
    values: dict[str, Any] = {":sent": sent, ":not_sent": not_sent, ":one": 1, ":parked": parked}
    assignments = []
    for index, (reason, count) in enumerate(sorted(reasons.items())):
        names[f"#r{index}"] = reason
        values[f":r{index}"] = count
        assignments.append(f"#reasons.#r{index} = if_not_exists(#reasons.#r{index}, :zero) + :r{index}")
    update = "ADD #sent :sent, #not_sent :not_sent, #jobs_done :one, #parked :parked"
    if assignments:
        # DynamoDB refuses names an expression does not use, so the map is named only when counted into.
        names["#reasons"] = "not_sent_reasons"
        values[":zero"] = 0
        update += " SET " + ", ".join(assignments)
    return {"UpdateExpression": update, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def counter_increments(counts: Mapping[str, int]) -> dict[str, Any]:
    """The ``UpdateExpression`` parts adding counts to an insight counter item (``ADD``, created if absent).

    Args:
        counts: Attribute name → amount; zero amounts are left out.

    Returns:
        ``UpdateExpression``, ``ExpressionAttributeNames`` and ``ExpressionAttributeValues`` (plain values).
    """
    names: dict[str, str] = {"#type": "type"}
    values: dict[str, Any] = {":type": "InsightCounter"}
    additions = []
    for index, (name, amount) in enumerate(sorted((n, a) for n, a in counts.items() if a)):
        names[f"#c{index}"] = name
        values[f":c{index}"] = amount
        additions.append(f"#c{index} :c{index}")
    update = "SET #type = :type" + (" ADD " + ", ".join(additions) if additions else "")
    return {"UpdateExpression": update, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def _done_ledger_item(
    send: SendContext | DeliveryJob, job_id: str, entries: Sequence[LedgerEntry], at: datetime
) -> dict[str, Any]:
    """The ledger item of outcomes decided without a delivery job (a send's fan-out, a page's
    recipients without a device): done as it is written, under a job id of its own."""
    return {
        **delivery_job_key(send.org_id, send.send_id, job_id).as_dict(),
        "type": "DeliveryJobLedger",
        "state": ClaimState.DONE.value,
        "entries": encode_entries(entries, send.send_id),
        "entry_count": len(entries),
        "completed_at": at.isoformat(),
    }


def delivery_counts(sent: int, not_sent: int, reasons: Mapping[str, int]) -> dict[str, int]:
    """The counter attributes of delivery outcomes: ``sent``, ``not_sent`` and ``not_sent:<reason>``."""
    counts = {"sent": sent, "not_sent": not_sent}
    counts.update({f"{NOT_SENT_REASON_ATTRIBUTE_PREFIX}{reason}": count for reason, count in reasons.items()})
    return counts


def add_counts(
    table: MainTable, org_id: str, dimensions: Sequence[tuple[str, str]], day: str, counts: Mapping[str, int]
) -> None:
    """Adds counts to the day's insight counter of each dimension (one ``UpdateItem ADD`` each)."""
    update = counter_increments(counts)
    for dimension, dimension_id in dimensions:
        table.update_expression(
            insight_counter_key(org_id, dimension, dimension_id, day),
            update["UpdateExpression"],
            names=update["ExpressionAttributeNames"],
            values=update["ExpressionAttributeValues"],
        )


def counter_dimensions(app_id: str, message_id: str, journey_id: str | None) -> list[tuple[str, str]]:
    """The insight dimensions one notification counts in: its message, its app and its journey (if any)."""
    dimensions = [("MESSAGE", message_id), ("APP", app_id)]
    if journey_id:
        dimensions.append(("JOURNEY", journey_id))
    return dimensions


def _encode_token(sort_key: str, offset: int, outcome: Outcome | None) -> str:
    return encode_opaque_token({"sk": sort_key, "offset": offset, "outcome": outcome.value if outcome else None})


def _decode_token(token: str, outcome: Outcome | None) -> tuple[str, int]:
    plain = decode_opaque_token(token)
    if (
        not isinstance(plain, dict)
        or not isinstance(plain.get("sk"), str)
        or not plain["sk"].startswith(JOB_PREFIX)
        or not isinstance(plain.get("offset"), int)
        or plain["offset"] < 0
    ):
        raise InvalidRequestError.for_field("NextToken", "is not a token this API returned")
    if plain.get("outcome") != (outcome.value if outcome else None):
        raise InvalidRequestError.for_field("NextToken", "belongs to a listing with another Outcome filter")
    return plain["sk"], plain["offset"]


#: Attempts of a job's completion when concurrent jobs' transactions on the send record cancel it.
_COMPLETE_ATTEMPTS: Final = 5
_COMPLETE_BACKOFF_S: Final = 0.05
#: The claim's count of the checkpoints that replaced its first one (``JobProgress.version``).
_CHECKPOINT_VERSION: Final = "checkpoints"
#: A done claim's mark that its outcomes are the job's S3 object (absent: in the table).
_OUTCOMES_IN: Final = "outcomes_in"
_IN_S3: Final = "s3"
#: Where a done claim's outcomes are when it names no place: in the table (the claim or ``#E``).
_IN_TABLE: Final = "table"


def _not_recorded() -> DependencyError:
    return DependencyError(message="the job's outcomes could not be recorded; the delivery will be retried")


def _outcomes_place(claim: Mapping[str, Any] | None) -> str | None:
    """Where a claim's outcomes are: ``_IN_S3``, ``_IN_TABLE``, or ``None`` while it is not done."""
    if claim is None or claim.get("state") != ClaimState.DONE.value:
        return None
    return str(claim.get(_OUTCOMES_IN, _IN_TABLE))


class DynamoSendRepository:
    """The DynamoDB adapter of ``SendRepository``."""

    def __init__(
        self,
        table: MainTable,
        *,
        retention: timedelta = DEFAULT_INTERACTION_RETENTION,
        outcome_objects: S3JobOutcomes | None = None,
    ) -> None:
        """Binds the repository to the main table.

        Args:
            table: The main table.
            retention: How long a send stays listed in interaction exports.
            outcome_objects: Where jobs record their outcomes (``LEDGER_BUCKET``); without it they
                are items beside their claims. Outcomes are read from wherever their claim says.
        """
        self._table = table
        self._retention = retention
        self._objects = outcome_objects

    def create(self, send: SendRecord, fanout_entries: Sequence[LedgerEntry], tracking_keys: Mapping[str, str]) -> None:
        """Puts the jobs' tracking keys (batch writes, one item per job), then the send record, the
        fan-out ledger item and the send's export reference in one transaction, then adds the
        fan-out's counts (inflow, outcomes decided without a device) to the day's insight counters
        (plain ``UpdateItem``s: counters are hot items that transactions would make conflict; a
        failure there is logged, the send stands). A tracking key left by a failed creation names a
        job that never ran: it resolves to nothing and expires."""
        expires = int((send.created_at + self._retention).timestamp())
        self._put_tracking_keys(send.org_id, send.send_id, tracking_keys, expires)
        sent, not_sent, reasons = _reason_counts(fanout_entries)
        record = {
            **send_key(send.org_id, send.send_id).as_dict(),
            "type": "Send",
            **send.model_dump(mode="json", exclude_none=True),
            "sent": sent,
            "not_sent": not_sent,
            "not_sent_reasons": reasons,
        }
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "Item": record,
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                }
            }
        ]
        if fanout_entries:
            ledger = _done_ledger_item(send, FANOUT_JOB_ID, fanout_entries, send.created_at)
            actions.append({"Put": {"Item": ledger}})
        actions.append({"Put": {"Item": self._reference(send)}})
        created = send.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        history = {"type": "SendHistory", "send_id": send.send_id, "app_id": send.app_id, "message_id": send.message_id}
        for key in send_history_keys(send.org_id, send.send_id, send.app_id, send.message_id, created):
            actions.append({"Put": {"Item": {**key.as_dict(), **history}}})
        self._table.transact_write(actions)
        counts = {"inflow": send.recipients_accepted + send.recipients_rejected, "deferred": send.deferred}
        counts.update(delivery_counts(sent, not_sent, reasons))
        try:
            add_counts(
                self._table,
                send.org_id,
                counter_dimensions(send.app_id, send.message_id, send.journey_id),
                send.created_at.date().isoformat(),
                counts,
            )
        except PushgateError as error:
            log_counter_failure(error, send.send_id)

    def _reference(self, send: SendRecord) -> dict[str, Any]:
        """The item that lists the send among its message's (and journey's) interactions, until it expires."""
        sort_key = send_reference_sort_key(send.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), send.send_id)
        item: dict[str, Any] = {
            PARTITION_KEY: interaction_partition(send.org_id, "MESSAGE", send.message_id),
            SORT_KEY: sort_key,
            "type": "SendReference",
            "send_id": send.send_id,
            TTL_ATTRIBUTE: int((send.created_at + self._retention).timestamp()),
        }
        if send.journey_id:
            item[GSI1_PARTITION_KEY] = interaction_partition(send.org_id, "JOURNEY", send.journey_id)
            item[GSI1_SORT_KEY] = sort_key
        return item

    def count_audience_page(self, send: DeliveryJob, count: AudiencePageCount, *, at: datetime) -> bool:
        """Records one expanded page of a broadcast: its jobs' tracking keys, then (one transaction)
        the page's marker, its ``NotSent`` outcomes (a ledger item of the page, when it has any) and
        its devices, jobs, outcomes and held devices added to the send's totals (and, for a shard's
        last page, the shard counted done). Then the page's refusals and deferrals go to the day's
        insight counters, as a send's fan-out's do.

        Returns:
            ``False`` when the page was counted before (a redelivered page message): nothing is added.
        """
        expires = int((at + self._retention).timestamp())
        self._put_tracking_keys(send.org_id, send.send_id, count.tracking_keys, expires)
        totals = _page_totals_update(count)
        marker = audience_page_key(send.org_id, send.send_id, count.shard, count.page)
        marker_item = {"type": "AudiencePage", "devices": count.devices, "jobs": count.jobs, "last": count.last}
        return self._count_page(
            send,
            (marker, marker_item),
            totals,
            (audience_outcomes_job_id(count.shard, count.page), count.entries),
            _page_insights(count),
            at=at,
            expires=expires,
            what="audience page",
        )

    def _count_page(
        self,
        send: DeliveryJob,
        marker: tuple[ItemKey, dict[str, Any]],
        totals: tuple[str, dict[str, str], dict[str, Any]],
        ledger: tuple[str, Sequence[LedgerEntry]],
        insights: Mapping[str, int],
        *,
        at: datetime,
        expires: int,
        what: str,
    ) -> bool:
        """Counts one expanded page of a broadcast or a segment once, in one transaction: the page's
        marker (``attribute_not_exists``), its totals added to the send and, when it decided any
        outcomes without a job, their ledger item. Then ``insights`` go to the day's insight
        counters, as a send's fan-out's counts do. ``False`` when the page was counted before."""
        marker_key, marker_item = marker
        update, names, values = totals
        ledger_job_id, outcomes = ledger
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "Item": {**marker_key.as_dict(), **marker_item, "read_at": at.isoformat(), TTL_ATTRIBUTE: expires},
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PARTITION_KEY},
                }
            },
            {
                "Update": {
                    "Key": send_key(send.org_id, send.send_id).as_dict(),
                    "UpdateExpression": update,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            },
        ]
        if outcomes:
            actions.append({"Put": {"Item": _done_ledger_item(send, ledger_job_id, outcomes, at)}})
        for attempt in range(_COMPLETE_ATTEMPTS):
            try:
                self._table.transact_write(actions)
            except ConflictError:
                # Counted before, or a job's completion touched the send record at the same time.
                if self._table.get_attributes(marker_key, ["type"]) is not None:
                    return False
                time.sleep(_COMPLETE_BACKOFF_S * (attempt + 1))
                continue
            self._count_insights(send, insights, at)
            return True
        raise DependencyError(message=f"the {what} could not be counted; it will be read again")

    def store_tracking_keys(self, send: DeliveryJob, tracking_keys: Mapping[str, str], *, at: datetime) -> None:
        """Puts the tracking keys of jobs about to be enqueued (batch writes, one item per job)."""
        expires = int((at + self._retention).timestamp())
        self._put_tracking_keys(send.org_id, send.send_id, tracking_keys, expires)

    def _put_tracking_keys(self, org_id: str, send_id: str, tracking_keys: Mapping[str, str], expires: int) -> None:
        """One ``TrackingKey`` item per job (batch writes): a tracking id's first 16 hex digits find its job."""
        self._table.put_many(
            [
                (
                    tracking_key_key(tracking_key),
                    {
                        "type": "TrackingKey",
                        "org_id": org_id,
                        "send_id": send_id,
                        "job_id": job_id,
                        TTL_ATTRIBUTE: expires,
                    },
                )
                for tracking_key, job_id in tracking_keys.items()
            ]
        )

    def segment_page_counted(self, org_id: str, send_id: str, page: int) -> bool:
        """Whether a segment page was counted before (its marker exists; one strongly consistent read)."""
        return self._table.get_attributes(segment_page_key(org_id, send_id, page), ["type"]) is not None

    def count_segment_page(self, send: DeliveryJob, count: SegmentPageCount, *, at: datetime) -> bool:
        """Counts one expanded page of a segment send once: in one transaction, the page's marker
        (``attribute_not_exists``), the ledger item of its outcomes decided without a device, and
        its people, devices, jobs, outcomes, held and deferred counts added to the send (and, for
        the last page, the send's one pending chain counted done). Then the page's outcomes go to
        the day's insight counters, as a send's fan-out's do.

        Returns:
            ``False`` when the page was counted before (a redelivered page message): nothing is added.
        """
        expires = int((at + self._retention).timestamp())
        totals = _page_totals_update(count, accepted=count.people, segment_page=count.page)
        marker = segment_page_key(send.org_id, send.send_id, count.page)
        marker_item = {
            "type": "SegmentPage",
            "people": count.people,
            "devices": count.devices,
            "jobs": count.jobs,
            "last": count.last,
        }
        return self._count_page(
            send,
            (marker, marker_item),
            totals,
            (segment_fanout_job_id(count.page), count.entries),
            {"inflow": count.people, **_page_insights(count)},
            at=at,
            expires=expires,
            what="segment page",
        )

    def _count_insights(self, send: DeliveryJob, counts: Mapping[str, int], at: datetime) -> None:
        try:
            add_counts(
                self._table,
                send.org_id,
                counter_dimensions(send.app_id, send.message_id, send.journey_id),
                at.date().isoformat(),
                counts,
            )
        except PushgateError as error:
            log_counter_failure(error, send.send_id)

    def get(self, org_id: str, send_id: str) -> SendRecord | None:
        """A send with its totals, or ``None``."""
        return self._table.get_as(send_key(org_id, send_id), _send_from_item)

    def history_page(
        self, org_id: str, only: SendHistoryFilter, *, limit: int, next_token: str | None
    ) -> tuple[list[SendRecord], str | None]:
        """One ``Query`` of the listing's history entries (newest first), then one ``BatchGetItem``
        of their send records.

        Raises:
            InvalidRequestError: ``next_token`` belongs to another listing.
        """
        partition = send_history_partition(org_id)
        prefix = send_history_prefix(message_id=only.message_id, app_id=only.app_id)
        start_key = decode_page_token(next_token, partition)
        if start_key is not None and not start_key[SORT_KEY]["S"].startswith(prefix):
            raise InvalidRequestError.for_field("NextToken", "belongs to a listing with other filters")
        items, last_key = self._table.query_prefix(partition, prefix, limit=limit, start_key=start_key, descending=True)
        found = {
            item["send_id"]: _send_from_item(item)
            for item in self._table.batch_get([send_key(org_id, str(item["send_id"])) for item in items])
        }
        sends = [found[str(item["send_id"])] for item in items if str(item["send_id"]) in found]
        return sends, encode_page_token(last_key)

    def is_canceled(self, org_id: str, send_id: str) -> bool:
        """Whether the send record carries a ``canceled_at`` (one strongly consistent projected read)."""
        found = self._table.get_attributes(send_key(org_id, send_id), ["canceled_at"])
        return found is not None and "canceled_at" in found

    def mark_canceled(self, org_id: str, send_id: str, *, at: datetime) -> bool:
        """Sets ``canceled_at`` once; ``False`` when the send was canceled before (or does not exist)."""
        return self._table.update_expression(
            send_key(org_id, send_id),
            "SET #canceled = :at",
            names={"#canceled": "canceled_at", "#pk": PARTITION_KEY},
            values={":at": at.isoformat()},
            condition="attribute_exists(#pk) AND attribute_not_exists(#canceled)",
        )

    def add_released(self, org_id: str, send_id: str, hour: str, devices: int) -> None:
        """Adds devices handed to the delivery queue to the send's ``released`` count of their hour."""
        self._table.update_expression(
            send_key(org_id, send_id),
            "SET #released.#hour = if_not_exists(#released.#hour, :zero) + :n",
            names={"#released": "released", "#hour": hour},
            values={":zero": 0, ":n": devices},
        )

    def claim(self, job: DeliveryJob, *, at: datetime, progress: JobProgress | None = None) -> ClaimState:
        """Puts the claim if absent (with the run's first checkpoint); otherwise reports the state found."""
        key = delivery_job_key(job.org_id, job.send_id, job.job_id)
        checkpoint = {} if progress is None else {"owner": progress.owner, "progress": encode_fates(progress)}
        try:
            self._table.put_new(
                key,
                {
                    "type": "DeliveryJobLedger",
                    "state": ClaimState.IN_FLIGHT.value,
                    "claimed_at": at.isoformat(),
                    "device_count": len(job.devices),
                    "attempt": job.attempt,
                    # What an open or click reported with a tracking id needs besides the entry
                    # itself, so resolving one reads this item only.
                    "app_id": job.app_id,
                    "message_id": job.message_id,
                    "message_version": job.message_version,
                    "journey_id": job.journey_id,
                    **checkpoint,
                },
            )
        except ConflictError:
            found = self._table.get_attributes(key, ["state"])
            if found is not None and found.get("state") == ClaimState.DONE.value:
                return ClaimState.DONE
            return ClaimState.IN_FLIGHT
        return ClaimState.CLAIMED

    def progress(self, job: DeliveryJob) -> JobProgress | None:
        """The checkpoint of a claim still in flight (strongly consistent), or ``None`` when it is not.

        A claim written before checkpoints existed has none: every device may have been sent.
        """
        found = self._table.get_attributes(
            delivery_job_key(job.org_id, job.send_id, job.job_id), ["state", "owner", "progress", _CHECKPOINT_VERSION]
        )
        if found is None or found.get("state") != ClaimState.IN_FLIGHT.value:
            return None
        owner = str(found.get("owner", ""))
        version = int(found.get(_CHECKPOINT_VERSION, 0))
        if "progress" not in found:
            return JobProgress(owner=owner, window=tuple(range(len(job.devices))), version=version)
        return replace(decode_fates(owner, found["progress"]), version=version)

    def checkpoint(
        self, job: DeliveryJob, progress: JobProgress, *, expected_owner: str, expected_version: int | None = None
    ) -> bool:
        """Replaces the claim's checkpoint while it is in flight and ``expected_owner`` holds it.

        One ``UpdateItem``, which also counts the checkpoint (the claim's ``checkpoints``; absent:
        0). ``progress.owner`` becomes the holder (a takeover when it differs from
        ``expected_owner``); ``expected_owner`` ``""`` matches a claim without an owner. With
        ``expected_version`` (a takeover), only while the count is still that: a holder that wrote
        a newer checkpoint after the taker read its progress has moved on, and keeps the job.

        Returns:
            ``False`` when the job is complete, another run holds it now, or the checkpoint moved on.
        """
        owned = "attribute_not_exists(#owner)" if not expected_owner else "#owner = :expected"
        conditions = ["#state = :in_flight", owned]
        values: dict[str, Any] = {
            ":owner": progress.owner,
            ":progress": encode_fates(progress),
            ":in_flight": ClaimState.IN_FLIGHT.value,
            ":one": 1,
        }
        if expected_owner:
            values[":expected"] = expected_owner
        if expected_version is not None:
            if expected_version:
                conditions.append("#version = :version")
                values[":version"] = expected_version
            else:
                conditions.append("attribute_not_exists(#version)")
        return self._table.update_expression(
            delivery_job_key(job.org_id, job.send_id, job.job_id),
            "SET #owner = :owner, #progress = :progress ADD #version :one",
            names={"#owner": "owner", "#progress": "progress", "#state": "state", "#version": _CHECKPOINT_VERSION},
            values=values,
            condition=" AND ".join(conditions),
        )

    def complete(self, job: DeliveryJob, outcomes: JobOutcomes, *, at: datetime, owner: str | None = None) -> bool:
        """Records the job's outcomes, then completes the claim and adds them to the totals.

        The outcomes (the big part: about 60 bytes a device) are written once, while no other run's
        are recorded (``_record_outcomes``); then one transaction of two small updates turns the
        claim ``Done`` (marked with where its outcomes are) and adds the counts to the send. A run
        that finds another run's outcomes already recorded (that run decided every device, then
        lost the claim or stopped) completes the claim with those: they are the truth of what was sent.

        With ``owner``, only while that run holds the claim; the checkpoint is removed either way.
        """
        entries, parked = outcomes.entries, outcomes.parked
        job_key = delivery_job_key(job.org_id, job.send_id, job.job_id)
        entries = self._record_outcomes(job, entries, at=at, owner=owner)
        sent, not_sent, reasons = _reason_counts(entries)
        condition = "#state = :in_flight"
        names = {
            "#state": "state",
            "#count": "entry_count",
            "#completed": "completed_at",
            "#parked": "parked",
            "#progress": "progress",
        }
        values: dict[str, Any] = {
            ":done": ClaimState.DONE.value,
            ":in_flight": ClaimState.IN_FLIGHT.value,
            ":count": len(entries),
            ":at": at.isoformat(),
            ":parked": parked,
        }
        done = "SET #state = :done, #count = :count, #completed = :at, #parked = :parked"
        if self._objects is not None:
            done += ", #outcomes_in = :outcomes_in"
            names["#outcomes_in"] = _OUTCOMES_IN
            values[":outcomes_in"] = _IN_S3
        if owner is not None:
            condition += " AND #owner = :owner"
            names["#owner"] = "owner"
            values[":owner"] = owner
        actions = [
            {
                "Update": {
                    "Key": job_key.as_dict(),
                    "UpdateExpression": f"{done} REMOVE #progress",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            },
            {
                "Update": {
                    "Key": send_key(job.org_id, job.send_id).as_dict(),
                    **_totals_update(sent, not_sent, reasons, parked),
                }
            },
        ]
        for attempt in range(_COMPLETE_ATTEMPTS):
            try:
                self._table.transact_write(actions)
            except ConflictError:
                # A cancelled transaction is either our condition failing (the job is done, or
                # another run holds it) or a concurrent transaction on the shared send record; only
                # the first means "not ours to record", so re-read before giving the outcomes up.
                found = self._table.get_attributes(job_key, ["state", "owner"])
                still_ours = (
                    found is not None
                    and found.get("state") == ClaimState.IN_FLIGHT.value
                    and (owner is None or found.get("owner") == owner)
                )
                if not still_ours:
                    return False
                time.sleep(_COMPLETE_BACKOFF_S * (attempt + 1))
                continue
            return True
        raise _not_recorded()

    def _record_outcomes(
        self, job: DeliveryJob, entries: Sequence[LedgerEntry], *, at: datetime, owner: str | None
    ) -> Sequence[LedgerEntry]:
        """Writes the job's outcomes unless another run's are recorded; returns the ones recorded.

        In the job's S3 object (created only if absent) when the repository has a bucket, else in
        an item beside the claim with a plain conditional ``PutItem`` (in the completion
        transaction they would cost twice their size).
        """
        body = encode_entries(entries, job.send_id)
        recorded: Any
        if self._objects is not None:
            if self._objects.put_new(job.org_id, job.send_id, job.job_id, body):
                return entries
            recorded = self._objects.get(job.org_id, job.send_id, job.job_id)
        else:
            outcomes_key = job_outcomes_key(job.org_id, job.send_id, job.job_id)
            if self._table.put_if(
                outcomes_key,
                {
                    "type": "DeliveryJobOutcomes",
                    "owner": owner or "",
                    "entries": body,
                    "entry_count": len(entries),
                    "completed_at": at.isoformat(),
                },
                condition="attribute_not_exists(#pk) OR #owner = :owner",
                names={"#pk": PARTITION_KEY, "#owner": "owner"},
                values={":owner": owner or ""},
            ):
                return entries
            found = self._table.get_attributes(outcomes_key, ["entries"])
            recorded = None if found is None else found.get("entries")
        if recorded is None:
            raise _not_recorded()
        return decode_entries(recorded, job.send_id)

    def completed_entries(
        self, org_id: str, send_id: str, item: Mapping[str, Any], done_claims: dict[str, str | None]
    ) -> list[LedgerEntry] | None:
        """The outcomes an item of a send's job range holds, if its job is done (else ``None``).

        Outcomes are the job's S3 object (a claim marked ``outcomes_in`` ``s3``), beside their claim
        (``<claim>#E``, which sorts just after it) or, for the fan-out's item and older jobs, in the
        claim itself. ``done_claims`` remembers where each claim seen so far keeps its outcomes
        (``None``: not done), so no claim is read twice and an ``#E`` item beside a claim that names
        its S3 object is left unread.
        """
        sort_key = str(item[SORT_KEY])
        if sort_key.endswith(JOB_OUTCOMES_SUFFIX):
            claim = sort_key.removesuffix(JOB_OUTCOMES_SUFFIX)
            if claim not in done_claims:
                found = self._table.get_attributes(
                    ItemKey(send_partition(org_id, send_id), claim), ["state", _OUTCOMES_IN]
                )
                done_claims[claim] = _outcomes_place(found)
            place = done_claims[claim]
        else:
            place = done_claims[sort_key] = _outcomes_place(item)
            if place == _IN_S3:
                return self._object_entries(org_id, send_id, sort_key.removeprefix(JOB_PREFIX))
        if place != _IN_TABLE or "entries" not in item:
            return None
        return decode_entries(item["entries"], send_id)

    def _object_entries(self, org_id: str, send_id: str, job_id: str) -> list[LedgerEntry]:
        """The outcomes in a job's S3 object; none once the bucket's lifecycle removed it."""
        if self._objects is None:
            raise DependencyError(message="this function has no ledger bucket (LEDGER_BUCKET) to read outcomes from")
        body = self._objects.get(org_id, send_id, job_id)
        return [] if body is None else decode_entries(body, send_id)

    def ledger_page(
        self, org_id: str, send_id: str, *, limit: int, next_token: str | None, outcome: Outcome | None
    ) -> LedgerPage:
        """Walks the send's job items in order, skipping the part of a job an earlier page returned."""
        partition = send_partition(org_id, send_id)
        from_key, offset = _decode_token(next_token, outcome) if next_token else (None, 0)
        collected: list[LedgerEntry] = []
        done_claims: dict[str, str | None] = {}
        while True:
            items, more = self._table.query_from(partition, JOB_PREFIX, from_key, limit=_JOBS_PER_QUERY)
            for item in items:
                sort_key = str(item["sk"])
                start = offset if sort_key == from_key else 0
                entries = self.completed_entries(org_id, send_id, item, done_claims)
                if entries is None:
                    continue
                for index in range(start, len(entries)):
                    entry = entries[index]
                    if outcome is not None and entry.outcome is not outcome:
                        continue
                    if len(collected) == limit:
                        return LedgerPage(collected, _encode_token(sort_key, index, outcome))
                    collected.append(entry)
            if not more or not items:
                return LedgerPage(collected, None)
            # Continue after the last job read: its sort key plus the lowest character sorts next.
            from_key, offset = f"{items[-1]['sk']}\x00", 0


class DynamoParkedJobs:
    """The DynamoDB adapter of ``ParkedJobs``: one item per parked job and platform."""

    def __init__(self, table: MainTable) -> None:
        """Binds the adapter to the main table."""
        self._table = table

    def park(self, job: DeliveryJob, platform: DevicePlatform, *, reason: str, at: datetime) -> None:
        """Stores the job's devices of one platform (in the form the queue carries them, unencoded)."""
        subset = job.model_copy(update={"devices": [d for d in job.devices if d.platform is platform]})
        self._table.put(
            parked_job_key(job.org_id, job.app_id, platform.value, job.job_id),
            {
                "type": "ParkedDeliveryJob",
                "send_id": job.send_id,
                "platform": platform.value,
                "reason": reason,
                "parked_at": at.isoformat(),
                "device_count": len(subset.devices),
                "job": encode_job(subset),
            },
        )

    def take(self, org_id: str, app_id: str) -> list[DeliveryJob]:
        """Reads and deletes every parked job of the app."""
        items = self._table.query_partition(parked_jobs_partition(org_id, app_id))
        return [decode_job(item["job"]) for item in items]

    def remove(self, job: DeliveryJob) -> None:
        """Deletes a parked job once it is back in the queue."""
        for platform in {device.platform for device in job.devices}:
            self._table.delete(parked_job_key(job.org_id, job.app_id, platform.value, job.job_id))


class DynamoInsightCounters:
    """The DynamoDB adapter of ``InsightCounters``: one ``UpdateItem ADD`` per dimension and job."""

    def __init__(self, table: MainTable) -> None:
        """Binds the adapter to the main table."""
        self._table = table

    def add(self, job: DeliveryJob, entries: Sequence[LedgerEntry], *, day: str) -> None:
        counts = delivery_counts(*_reason_counts(entries))
        add_counts(self._table, job.org_id, counter_dimensions(job.app_id, job.message_id, job.journey_id), day, counts)

    def get(self, org_id: str, dimension: str, dimension_id: str, day: str) -> tuple[int, int]:
        """A day's ``(sent, not_sent)`` of one dimension (zeros when nothing was counted)."""
        item = self._table.get(insight_counter_key(org_id, dimension, dimension_id, day))
        if item is None:
            return 0, 0
        return int(item.get("sent", 0)), int(item.get("not_sent", 0))


def log_counter_failure(error: Exception, send_id: str) -> None:
    """Notes insight counters that could not be added (the ledger and the send's totals are exact)."""
    logger.warning("insight counters not updated", extra={"send_id": send_id, "error_type": type(error).__name__})
