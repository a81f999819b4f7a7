"""Interactions in the main table: tracking-id resolution, engagement records and counters, exports.

A tracking id is a random GUID whose first half (the tracking key) names its delivery job through
one ``TRACKING#`` item written at fan-out (legacy 64-character ids name their send and job
themselves); resolving it is one ``GetItem`` of that item and one ``Query`` of the job's ledger item
(and of its retry or resume items, which share the sort-key prefix); the id is accepted only if a
stored ledger entry holds exactly that id. An open or click is written in one transaction: its
record (with a TTL), the first-engagement marker of the notification when there is none yet
(``attribute_not_exists``, which is what makes unique opens and clicks count once) and the
notification's latest tap (revision-guarded, which is what makes the app's ``Clicked`` and the
redirect of the same tap count once); then
``ADD`` of the day's counters of the message, the app and the journey, as plain ``UpdateItem``s
because counters are hot items that concurrent transactions would keep cancelling.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pushgate.adapters.dynamodb.keys import (
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    INTERACTION_EVENT_PREFIX,
    JOB_OUTCOMES_SUFFIX,
    JOB_PREFIX,
    PARTITION_KEY,
    SEND_REFERENCE_PREFIX,
    SORT_KEY,
    TTL_ATTRIBUTE,
    ItemKey,
    first_engagement_key,
    insight_counter_key,
    interaction_event_sort_key,
    interaction_partition,
    last_tap_key,
    send_key,
    send_partition,
    tracking_key_key,
)
from pushgate.adapters.dynamodb.sends import (
    DEFAULT_INTERACTION_RETENTION,
    NOT_SENT_REASON_ATTRIBUTE_PREFIX,
    DynamoSendRepository,
    add_counts,
    counter_dimensions,
    log_counter_failure,
)
from pushgate.adapters.dynamodb.table import (
    MainTable,
    TableAdapter,
    decode_opaque_token,
    encode_opaque_token,
    revision_put,
)
from pushgate.errors import ConflictError, DependencyError, InvalidRequestError, PushgateError
from pushgate.models.interaction import (
    Interaction,
    InteractionType,
    LastTap,
    TrackedNotification,
    delivery_interaction,
    new_in_tap,
)
from pushgate.models.send import SendRecord, TrackingRef, same_tracking_id
from pushgate.services.interactions.ports import DayCounts, InteractionPage

#: Which first-engagement marker an interaction type sets, and the counters it adds to.
_MARKER_OF: Final = {InteractionType.OPENED: "OPENED", InteractionType.LINK_CLICKED: "CLICKED"}
_COUNTER_OF: Final = {
    InteractionType.OPENED: "opened",
    InteractionType.LINK_CLICKED: "clicks",
    InteractionType.BOT_LINK_CLICKED: "bot_clicks",
}
_UNIQUE_COUNTER_OF: Final = {"OPENED": "unique_opens", "CLICKED": "unique_clicks"}
#: Attempts of the engagement transaction when a concurrent report of the same notification wins.
_RECORD_ATTEMPTS: Final = 3
#: Export items read per query.
_EXPORT_BATCH: Final = 100
_DAY_COUNT_FIELDS: Final = ("inflow", "sent", "not_sent", "opened", "unique_opens", "clicks", "unique_clicks")


def fixed_utc(at: datetime) -> str:
    """A fixed-width UTC timestamp that sorts as text (``2026-11-23T17:00:00.000000Z``)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class DynamoTrackedNotifications(TableAdapter):
    """The DynamoDB adapter of ``TrackedNotifications``."""

    def __init__(self, table: MainTable, sends: DynamoSendRepository) -> None:
        """Binds the adapter to the main table and the send ledger (which knows where outcomes are)."""
        super().__init__(table)
        self._sends = sends

    def locate(self, tracking_key: str) -> TrackingRef | None:
        """One ``GetItem`` of the tracking key's item."""
        item = self._table.get(tracking_key_key(tracking_key))
        if item is None:
            return None
        return TrackingRef(org_id=str(item["org_id"]), send_id=str(item["send_id"]), job_id=str(item["job_id"]))

    def find(self, ref: TrackingRef, tracking_id: str) -> TrackedNotification | None:
        """Reads the job's ledger items and returns the entry that stores exactly this tracking id."""
        job_sort_key = f"{JOB_PREFIX}{ref.job_id}"
        items, _ = self._table.query_prefix(send_partition(ref.org_id, ref.send_id), job_sort_key)
        # The prefix also matches jobs 000001.. of huge sends; only the job and its retries count.
        family = {
            str(i[SORT_KEY]): i
            for i in items
            if str(i[SORT_KEY]).removesuffix(JOB_OUTCOMES_SUFFIX) == job_sort_key
            or str(i[SORT_KEY]).startswith(f"{job_sort_key}.")
        }
        done_claims: dict[str, str | None] = {}
        for sort_key, item in family.items():
            # A claim sorts before its ``#E`` item, so the claim says where the outcomes are first.
            entries = self._sends.completed_entries(ref.org_id, ref.send_id, item, done_claims) or ()
            for entry in entries:
                if same_tracking_id(tracking_id, entry.tracking_id):
                    claim = family.get(sort_key.removesuffix(JOB_OUTCOMES_SUFFIX), {})
                    context = self._context(ref, claim)
                    return None if context is None else TrackedNotification(**context, entry=entry)
        return None

    def _context(self, ref: TrackingRef, item: Mapping[str, Any]) -> dict[str, Any] | None:
        if "message_id" not in item:
            # Ledger items claimed before they carried the send's context: read the send record.
            found = self._table.get(send_key(ref.org_id, ref.send_id))
            if found is None:
                return None
            item = found
        return {
            "org_id": ref.org_id,
            "send_id": ref.send_id,
            "app_id": str(item["app_id"]),
            "message_id": str(item["message_id"]),
            "message_version": int(item["message_version"]),
            "journey_id": item.get("journey_id"),
        }


class DynamoEngagementRecorder:
    """The DynamoDB adapter of ``EngagementRecorder``."""

    def __init__(self, table: MainTable, *, retention: timedelta = DEFAULT_INTERACTION_RETENTION) -> None:
        """Binds the adapter to the main table.

        Args:
            table: The main table.
            retention: How long records and first-engagement markers are kept (TTL ``expiration``).
        """
        self._table = table
        self._retention = retention

    def record(self, notification: TrackedNotification, interactions: Sequence[Interaction]) -> list[Interaction]:
        """Writes the new records, the markers, the tap and the counters in one transaction
        (retried when a concurrent report of the same notification wins)."""
        if not interactions:
            return []
        org_id, send_id, tracking_id = notification.org_id, notification.send_id, notification.tracking_id
        markers = {kind: first_engagement_key(org_id, send_id, kind, tracking_id) for kind in _MARKER_OF.values()}
        tap_key = last_tap_key(org_id, send_id, tracking_id)
        for _ in range(_RECORD_ATTEMPTS):
            found = {(i[PARTITION_KEY], i[SORT_KEY]): i for i in self._table.batch_get([*markers.values(), tap_key])}
            tap_item = found.get((tap_key.pk, tap_key.sk))
            opened = markers[_MARKER_OF[InteractionType.OPENED]]
            selected, tap = new_in_tap(
                interactions, last_tap=_tap_from_item(tap_item), opened_before=(opened.pk, opened.sk) in found
            )
            if not selected:
                return []
            used = {_MARKER_OF[i.type]: markers[_MARKER_OF[i.type]] for i in selected if i.type in _MARKER_OF}
            counts: Counter[str] = Counter(_COUNTER_OF[i.type] for i in selected)
            actions = self._actions(selected, used, set(found), counts)
            if tap is not None:
                actions.append(self._tap_action(tap_key, tap, tap_item))
            try:
                self._table.transact_write(actions)
            except ConflictError:
                continue  # another report of this notification wrote first: read again
            self._count(notification, selected[0].at, counts)
            return selected
        raise DependencyError(message="the interaction could not be recorded; retry later")

    def _tap_action(self, key: ItemKey, tap: LastTap, previous: Mapping[str, Any] | None) -> dict[str, Any]:
        """The put of the notification's latest tap, guarded by the revision read."""
        revision = None if previous is None else int(previous.get("revision", 0))
        attributes = {
            "type": "LastTap",
            "tap_at": fixed_utc(tap.at),
            "counted": sorted(kind.value for kind in tap.counted),
            "revision": (revision or 0) + 1,
            TTL_ATTRIBUTE: int((tap.at + self._retention).timestamp()),
        }
        return revision_put(key, attributes, revision)

    def _actions(
        self,
        interactions: Sequence[Interaction],
        markers: Mapping[str, Any],
        present: set[tuple[str, str]],
        counts: Counter[str],
    ) -> list[dict[str, Any]]:
        """The records and markers (items of this notification only); ``counts`` gains the unique ones."""
        at = interactions[0].at
        expires = int((at + self._retention).timestamp())
        actions: list[dict[str, Any]] = []
        for marker, key in markers.items():
            if (key.pk, key.sk) in present:
                condition = {"ConditionExpression": "attribute_exists(#pk)"}
                actions.append({"ConditionCheck": {"Key": key.as_dict(), **condition, **_PK_NAME}})
                continue
            counts[_UNIQUE_COUNTER_OF[marker]] += 1
            item = {**key.as_dict(), "type": "FirstEngagement", "at": fixed_utc(at), TTL_ATTRIBUTE: expires}
            actions.append({"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(#pk)", **_PK_NAME}})
        for interaction in interactions:
            actions.append({"Put": {"Item": _record_item(interaction, expires)}})
        return actions

    def _count(self, notification: TrackedNotification, at: datetime, counts: Mapping[str, int]) -> None:
        """Adds to the day's counters once the records stand (plain ``UpdateItem``s: counters are hot)."""
        dimensions = counter_dimensions(notification.app_id, notification.message_id, notification.journey_id)
        try:
            add_counts(self._table, notification.org_id, dimensions, at.astimezone(UTC).date().isoformat(), counts)
        except PushgateError as error:
            log_counter_failure(error, notification.send_id)


_PK_NAME: Final = {"ExpressionAttributeNames": {"#pk": PARTITION_KEY}}


def _tap_from_item(item: Mapping[str, Any] | None) -> LastTap | None:
    if item is None:
        return None
    at = datetime.strptime(str(item["tap_at"]), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return LastTap(at=at, counted=frozenset(InteractionType(kind) for kind in item.get("counted", [])))


def _record_item(interaction: Interaction, expires: int) -> dict[str, Any]:
    sort_key = interaction_event_sort_key(fixed_utc(interaction.at), interaction.interaction_id)
    values = interaction.model_dump(mode="json", exclude_none=True)
    values["interaction_type"] = values.pop("type")
    item: dict[str, Any] = {
        PARTITION_KEY: interaction_partition(interaction.org_id, "MESSAGE", interaction.message_id),
        SORT_KEY: sort_key,
        "type": "InteractionEvent",
        **values,
        TTL_ATTRIBUTE: expires,
    }
    if interaction.journey_id:
        item[GSI1_PARTITION_KEY] = interaction_partition(interaction.org_id, "JOURNEY", interaction.journey_id)
        item[GSI1_SORT_KEY] = sort_key
    return item


def _interaction_from_item(item: Mapping[str, Any]) -> Interaction:
    values = {name: item[name] for name in Interaction.model_fields if name != "type" and name in item}
    values["type"] = item["interaction_type"]
    return Interaction.model_validate(values)


class DynamoInsightCounterReader(TableAdapter):
    """The DynamoDB adapter of ``InsightCounterReader``."""

    def days(self, org_id: str, dimension: str, dimension_id: str, first_day: str, last_day: str) -> list[DayCounts]:
        """One ``Query`` of the dimension's partition between the two days' sort keys."""
        low = insight_counter_key(org_id, dimension, dimension_id, first_day)
        high = insight_counter_key(org_id, dimension, dimension_id, last_day)
        found = []
        for item in self._table.query_between(low.pk, low.sk, high.sk):
            reasons = {
                name.removeprefix(NOT_SENT_REASON_ATTRIBUTE_PREFIX): int(value)
                for name, value in item.items()
                if name.startswith(NOT_SENT_REASON_ATTRIBUTE_PREFIX)
            }
            counts = {name: int(item.get(name, 0)) for name in (*_DAY_COUNT_FIELDS, "bot_clicks", "deferred")}
            found.append(DayCounts(day=str(item[SORT_KEY]).removeprefix("DAY#"), not_sent_reasons=reasons, **counts))
        return found


class DynamoInteractionExport:
    """The DynamoDB adapter of ``InteractionExport``.

    The records of a message are its partition ``IXN#<orgId>#MESSAGE#<messageId>`` (a journey's: the
    same items through ``GSI1``): one reference per send (sort key ``DELIVERY#...``), expanded into
    the send's ledger as ``Sent``/``NotSent`` records, then the opens and clicks (``EVENT#...``).
    A ``NextToken`` names the last item done, or the send being expanded and the ledger's own token.
    """

    def __init__(self, table: MainTable, sends: DynamoSendRepository) -> None:
        """Binds the adapter to the main table and the send ledger."""
        self._table = table
        self._sends = sends

    def page(
        self, org_id: str, dimension: str, dimension_id: str, *, limit: int, next_token: str | None
    ) -> InteractionPage:
        """Collects up to ``limit`` records in order."""
        partition = interaction_partition(org_id, dimension, dimension_id)
        after, resume, ledger_token = _decode_export_token(next_token, partition)
        on_gsi1 = dimension == "JOURNEY"
        collected: list[Interaction] = []
        while len(collected) < limit:
            if resume is not None:
                ledger_token = self._expand(org_id, resume, limit - len(collected), ledger_token, collected)
                if ledger_token is not None:
                    return InteractionPage(collected, _encode_export_token(partition, None, resume, ledger_token))
                after, resume = resume, None
                continue
            items, more = self._table.query_after(partition, after, limit=_EXPORT_BATCH, on_gsi1=on_gsi1)
            for item in items:
                sort_key = str(item[SORT_KEY])
                if sort_key.startswith(SEND_REFERENCE_PREFIX):
                    resume = sort_key
                    break
                collected.append(_interaction_from_item(item))
                after = sort_key
                if len(collected) == limit:
                    return InteractionPage(collected, _encode_export_token(partition, after, None, None))
            if resume is None and not more:
                return InteractionPage(collected, None)
        return InteractionPage(collected, _encode_export_token(partition, after, resume, ledger_token))

    def _expand(
        self, org_id: str, reference: str, room: int, ledger_token: str | None, collected: list[Interaction]
    ) -> str | None:
        """Adds up to ``room`` records of the referenced send's ledger; returns the ledger's next token."""
        send_id = reference.rsplit("#", 1)[-1]
        send = self._sends.get(org_id, send_id)
        if send is None:
            return None
        page = self._sends.ledger_page(org_id, send_id, limit=room, next_token=ledger_token, outcome=None)
        collected.extend(delivery_interaction(_notification(send, entry)) for entry in page.entries)
        return page.next_token


def _notification(send: SendRecord, entry: Any) -> TrackedNotification:
    return TrackedNotification(**send.context_fields(), entry=entry)


def _encode_export_token(partition: str, after: str | None, resume: str | None, ledger: str | None) -> str:
    return encode_opaque_token({"p": partition, "after": after, "resume": resume, "ledger": ledger})


def _decode_export_token(token: str | None, partition: str) -> tuple[str | None, str | None, str | None]:
    if not token:
        return None, None, None
    plain = decode_opaque_token(token)
    valid = isinstance(plain, dict) and plain.get("p") == partition
    after, resume, ledger = (plain.get(k) for k in ("after", "resume", "ledger")) if valid else (None, None, None)
    valid = valid and (after is None or (isinstance(after, str) and after.startswith(_RECORD_PREFIXES)))
    valid = valid and (resume is None or (isinstance(resume, str) and resume.startswith(SEND_REFERENCE_PREFIX)))
    valid = valid and (ledger is None or (isinstance(ledger, str) and resume is not None))
    if not valid:
        raise InvalidRequestError.for_field("NextToken", "is not a token this listing returned")
    return after, resume, ledger


_RECORD_PREFIXES: Final = (INTERACTION_EVENT_PREFIX, SEND_REFERENCE_PREFIX)
