"""Key builders: the one place that knows how items are laid out in the main table.

The main table has a generic primary key (``pk``, ``sk``), a generic index ``GSI1``
(``gsi1pk``, ``gsi1sk``), the index of an app's devices ``GSI2`` (``gsi2pk``, ``gsi2sk``; ``GSI3`` has the
same keys and projects the devices' copy of their person; ``GSI4`` holds the same entries in user order,
``gsi2pk`` and ``user_id``) and the TTL attribute ``expiration`` (epoch seconds; also the attribute
Powertools idempotency writes). ``docs/data-model.md`` lists every item collection and access
pattern; it and this module must agree, and the unit tests hold them to it.

| Item | pk | sk |
| --- | --- | --- |
| Org | ``ORG#<orgId>`` | ``ORG`` |
| MobileApp | ``ORG#<orgId>`` | ``APP#<appId>`` |
| ApiToken | ``ORG#<orgId>`` | ``APPTOKEN#<appId>#<tokenId>`` |
| Device | ``DEVICES#<orgId>#<appId>#<userId>`` | ``<platform>#<sha256(token)>`` |
| DeviceTokenOwner | ``DEVTOKEN#<orgId>#<appId>#<platform>#<sha256(token)>`` | ``DEVTOKEN`` |
| RegistrationStatus | ``REGREQ#<orgId>#<appId>#<requestId>`` | ``REGREQ`` |
| Person | ``ORG#<orgId>`` | ``PERSON#<entityType>#<personId>`` |
| PersonLookup | ``LOOKUP#<orgId>#<field>#<valueSha256>`` | ``PERSON#<entityType>#<personId>`` |
| AppUserLink | ``ORG#<orgId>`` | ``APPUSER#<appId>#<appUserId>`` |
| PersonAppUserLink | ``ORG#<orgId>`` | ``PERSONLINK#<entityType>#<personId>#<appId>#<appUserId>`` |
| PushMessage | ``ORG#<orgId>`` | ``MSG#<messageId>`` |
| PushMessageVersion | ``ORG#<orgId>`` | ``MSGVER#<messageId>#<version:06d>`` |
| Send | ``SEND#<orgId>#<sendId>`` | ``SEND`` |
| DeliveryJobLedger | ``SEND#<orgId>#<sendId>`` | ``JOB#<jobId>`` |
| DeliveryJobOutcomes | ``SEND#<orgId>#<sendId>`` | ``JOB#<jobId>#E`` |
| ParkedDeliveryJob | ``PARKED#<orgId>#<appId>`` | ``<platform>#<jobId>`` |
| InsightCounter | ``INSIGHT#<orgId>#<dimension>#<id>`` | ``DAY#<yyyy-mm-dd>`` |
| SendIdempotency | ``IDEMPOTENCY#sends`` | ``SENDIDEM#<md5 of orgId and IdempotencyKey>`` |
| TokenPolicy | ``ORG#<orgId>`` | ``TOKENPOLICY#<appId>`` |
| TokenCleanupState | ``CLEANUP#tokens`` | ``STATE`` |
| Device (GSI1 entry) | ``DEVSTATE#<status>#<shard:02d>`` | ``<dueAt>#<platform>#<sha256(token)>`` |
| Device (GSI2 entry) | ``APPDEVICES#<orgId>#<appId>#<shard:02d>`` | ``<platform>#<sha256(token)>#<userId>`` |
| AudiencePage | ``SEND#<orgId>#<sendId>`` | ``AUDIENCE#<shard:02d>#<page:06d>`` |
| SegmentPage | ``SEND#<orgId>#<sendId>`` | ``AUDIENCE#SEGMENT#<page:06d>`` |
| Segment | ``ORG#<orgId>`` | ``SEGMENT#<segmentId>`` |
| InteractionEvent | ``IXN#<orgId>#MESSAGE#<messageId>`` | ``EVENT#<at>#<eventId>`` |
| SendReference | ``IXN#<orgId>#MESSAGE#<messageId>`` | ``DELIVERY#<createdAt>#<sendId>`` |
| FirstEngagement | ``SEND#<orgId>#<sendId>`` | ``FIRST#<kind>#<trackingId>`` |
| LastTap | ``SEND#<orgId>#<sendId>`` | ``TAP#<trackingId>`` |
| TrackingKey | ``TRACKING#<trackingKey>`` | ``TRACKING`` |
| DeliveryPolicy | ``ORG#<orgId>`` | ``DELIVERYPOLICY#<appId>`` |
| HeldDeliveryJob | ``SEND#<orgId>#<sendId>`` | ``HELD#<jobId>`` |
| HeldDeliveryJob (GSI1 entry) | ``DUE#<shard:02d>`` | ``<dueAt>#<orgId>#<sendId>#<jobId>`` |
| FrequencyCapHistory | ``CAP#<orgId>#<appId>#<userId>`` | ``CAP`` |
| OrgListing | ``ORGS`` | ``ORG#<createdAt>#<orgId>`` |
| SendHistory | ``SENDS#<orgId>`` | ``<scope>#<createdAt>#<sendId>`` |
"""

from __future__ import annotations

from typing import NamedTuple

from pushgate.models.device import DeviceRef

PARTITION_KEY = "pk"
SORT_KEY = "sk"
GSI1_NAME = "GSI1"
GSI1_PARTITION_KEY = "gsi1pk"
GSI1_SORT_KEY = "gsi1sk"
GSI2_NAME = "GSI2"
#: The same entries as ``GSI2`` (its key attributes), also projecting each device's copy of its
#: person (``device_audience``): broadcasts read this one.
GSI3_NAME = "GSI3"
GSI2_PARTITION_KEY = "gsi2pk"
GSI2_SORT_KEY = "gsi2sk"
#: ``GSI3``'s entries keyed by ``gsi2pk`` and the device's ``user_id``: a segment page reads the
#: devices of its people as one range of user ids per shard.
GSI4_NAME = "GSI4"
GSI4_SORT_KEY = "user_id"
TTL_ATTRIBUTE = "expiration"

_SEPARATOR = "#"


class ItemKey(NamedTuple):
    """The primary key of one item."""

    pk: str
    sk: str

    def as_dict(self) -> dict[str, str]:
        """Returns the key as attribute name → value."""
        return {PARTITION_KEY: self.pk, SORT_KEY: self.sk}


def _component(value: str) -> str:
    if not value or _SEPARATOR in value:
        # An empty or '#'-bearing id would let one tenant's key collide with another's.
        raise ValueError(f"invalid key component: {value!r}")
    return value


def _part(prefix: str, value: str) -> str:
    return f"{prefix}{_SEPARATOR}{_component(value)}"


def org_partition(org_id: str) -> str:
    """The partition holding an org and, later, everything it owns."""
    return _part("ORG", org_id)


def org_key(org_id: str) -> ItemKey:
    """The key of the org item itself."""
    return ItemKey(org_partition(org_id), "ORG")


#: The one partition listing every org (orgs are few and created rarely: one partition holds them).
ORG_LISTING_PARTITION = "ORGS"
ORG_LISTING_PREFIX = "ORG#"


def org_listing_key(created_at: str, org_id: str) -> ItemKey:
    """The key of an org's entry in the list of orgs (creation order, then id)."""
    sort_key = f"{ORG_LISTING_PREFIX}{_component(created_at)}{_SEPARATOR}{_component(org_id)}"
    return ItemKey(ORG_LISTING_PARTITION, sort_key)


APP_PREFIX = "APP#"
APP_TOKEN_PREFIX = "APPTOKEN#"  # noqa: S105 - a key prefix, not a secret


def mobile_app_key(org_id: str, app_id: str) -> ItemKey:
    """The key of a mobile app configuration."""
    return ItemKey(org_partition(org_id), _part("APP", app_id))


def api_token_key(org_id: str, app_id: str, token_id: str) -> ItemKey:
    """The key of one access token of an app."""
    return ItemKey(org_partition(org_id), f"{api_tokens_prefix(app_id)}{_component(token_id)}")


def api_tokens_prefix(app_id: str) -> str:
    """The sort-key prefix under which an app's tokens sit (for listing them)."""
    return f"{APP_TOKEN_PREFIX}{_component(app_id)}{_SEPARATOR}"


# Directory (contacts, leads, profiles) and app-user links.

PERSON_PREFIX = "PERSON#"
APP_USER_PREFIX = "APPUSER#"
PERSON_LINK_PREFIX = "PERSONLINK#"
LOOKUP_PREFIX = "LOOKUP#"


def person_prefix(entity_type: str) -> str:
    """The sort-key prefix of one entity type's people (for listing and paging them)."""
    return f"{PERSON_PREFIX}{_component(entity_type)}{_SEPARATOR}"


def person_key(org_id: str, entity_type: str, person_id: str) -> ItemKey:
    """The key of one person (contact, lead or profile) of an org."""
    return ItemKey(org_partition(org_id), f"{person_prefix(entity_type)}{_component(person_id)}")


def person_lookup_partition(org_id: str, field: str, value_digest: str) -> str:
    """The partition of a lookup by a secondary identifier (an email or phone number).

    Args:
        org_id: The org; lookups never cross orgs.
        field: Which identifier (``EMAIL``, ``MOBILEPHONE``, ``TELEPHONE1``).
        value_digest: SHA-256 hex of the normalised value, so the key is bounded, free of the
            separator, and does not spell out personal data.

    Returns:
        The partition key.
    """
    return f"{LOOKUP_PREFIX}{_component(org_id)}{_SEPARATOR}{_component(field)}{_SEPARATOR}{_component(value_digest)}"


def person_lookup_key(org_id: str, field: str, value_digest: str, entity_type: str, person_id: str) -> ItemKey:
    """The key of one lookup item: one person under one identifier value."""
    return ItemKey(
        person_lookup_partition(org_id, field, value_digest),
        f"{person_prefix(entity_type)}{_component(person_id)}",
    )


def app_user_link_key(org_id: str, app_id: str, app_user_id: str) -> ItemKey:
    """The key of the link from an app's own user id to a directory person."""
    return ItemKey(org_partition(org_id), f"{APP_USER_PREFIX}{_component(app_id)}{_SEPARATOR}{_component(app_user_id)}")


def person_links_prefix(entity_type: str, person_id: str) -> str:
    """The sort-key prefix of the reverse items listing a person's app-user links (for erasure)."""
    return f"{PERSON_LINK_PREFIX}{_component(entity_type)}{_SEPARATOR}{_component(person_id)}{_SEPARATOR}"


def person_link_key(org_id: str, entity_type: str, person_id: str, app_id: str, app_user_id: str) -> ItemKey:
    """The key of the reverse item of one app-user link, under the person it points to."""
    return ItemKey(
        org_partition(org_id),
        f"{person_links_prefix(entity_type, person_id)}{_component(app_id)}{_SEPARATOR}{_component(app_user_id)}",
    )


# ---------------------------------------------------------------- devices and registrations
DEVICE_TOKEN_OWNER_SORT_KEY = "DEVTOKEN"  # noqa: S105 - a key name, not a secret
REGISTRATION_STATUS_SORT_KEY = "REGREQ"


def device_partition(org_id: str, app_id: str, user_id: str) -> str:
    """The partition holding every device of one user for one app (one ``Query`` finds them all)."""
    return _SEPARATOR.join(("DEVICES", _component(org_id), _component(app_id), _component(user_id)))


def device_key(org_id: str, app_id: str, user_id: str, platform: str, token_sha256: str) -> ItemKey:
    """The key of one device of a user: platform and token hash in the sort key."""
    sort_key = f"{_component(platform)}{_SEPARATOR}{_component(token_sha256)}"
    return ItemKey(device_partition(org_id, app_id, user_id), sort_key)


def device_ref_key(device: DeviceRef) -> ItemKey:
    """The key of the device a ``DeviceRef`` names."""
    return device_key(device.org_id, device.app_id, device.user_id, device.platform.value, device.token_sha256)


def device_token_owner_key(org_id: str, app_id: str, platform: str, token_sha256: str) -> ItemKey:
    """The key of the item naming which user of an app currently holds a token."""
    partition = _SEPARATOR.join(
        ("DEVTOKEN", _component(org_id), _component(app_id), _component(platform), _component(token_sha256))
    )
    return ItemKey(partition, DEVICE_TOKEN_OWNER_SORT_KEY)


def registration_status_key(org_id: str, app_id: str, request_id: str) -> ItemKey:
    """The key of the stored outcome of one tracked registration request."""
    partition = _SEPARATOR.join(("REGREQ", _component(org_id), _component(app_id), _component(request_id)))
    return ItemKey(partition, REGISTRATION_STATUS_SORT_KEY)


MESSAGE_PREFIX = "MSG#"
MESSAGE_VERSION_PREFIX = "MSGVER#"


def push_message_key(org_id: str, message_id: str) -> ItemKey:
    """The key of a push message's current version and lifecycle state."""
    return ItemKey(org_partition(org_id), f"{MESSAGE_PREFIX}{_component(message_id)}")


def push_message_versions_prefix(message_id: str) -> str:
    """The sort-key prefix under which a message's versions sit (zero-padded, so they list in order)."""
    return f"{MESSAGE_VERSION_PREFIX}{_component(message_id)}{_SEPARATOR}"


def push_message_version_key(org_id: str, message_id: str, version: int) -> ItemKey:
    """The key of one immutable version of a push message."""
    if not 1 <= version <= 999_999:
        raise ValueError(f"invalid message version: {version!r}")
    return ItemKey(org_partition(org_id), f"{push_message_versions_prefix(message_id)}{version:06d}")


# ---------------------------------------------------------------- sends, delivery ledger, insights
SEND_SORT_KEY = "SEND"
JOB_PREFIX = "JOB#"
#: The one partition of the send idempotency records (Powertools' ``static_pk_value``).
SEND_IDEMPOTENCY_PARTITION = "IDEMPOTENCY#sends"
#: Prefix of the send idempotency records' sort keys (Powertools' ``key_prefix``).
SEND_IDEMPOTENCY_KEY_PREFIX = "SENDIDEM"


def send_partition(org_id: str, send_id: str) -> str:
    """The partition of one send: its record and the ledger items of its jobs."""
    return _SEPARATOR.join(("SEND", _component(org_id), _component(send_id)))


def send_history_partition(org_id: str) -> str:
    """The partition of an org's send history (one small item per send and listing scope)."""
    return _part("SENDS", org_id)


def send_history_prefix(*, message_id: str | None = None, app_id: str | None = None) -> str:
    """The sort-key prefix of one history listing: every send (``ALL#``), a message's (``MSG#<id>#``),
    an app's (``APP#<id>#``) or a message's with one app (``MSGAPP#<messageId>#<appId>#``)."""
    if message_id and app_id:
        return f"MSGAPP{_SEPARATOR}{_component(message_id)}{_SEPARATOR}{_component(app_id)}{_SEPARATOR}"
    if message_id:
        return f"MSG{_SEPARATOR}{_component(message_id)}{_SEPARATOR}"
    if app_id:
        return f"APP{_SEPARATOR}{_component(app_id)}{_SEPARATOR}"
    return f"ALL{_SEPARATOR}"


def send_history_keys(org_id: str, send_id: str, app_id: str, message_id: str, created_at: str) -> list[ItemKey]:
    """The keys of a send's history items: one per listing scope it appears in (sort keys end in
    the fixed-width creation time and the id, so a descending ``Query`` lists newest first)."""
    suffix = f"{_component(created_at)}{_SEPARATOR}{_component(send_id)}"
    partition = send_history_partition(org_id)
    return [
        ItemKey(partition, send_history_prefix() + suffix),
        ItemKey(partition, send_history_prefix(message_id=message_id) + suffix),
        ItemKey(partition, send_history_prefix(app_id=app_id) + suffix),
        ItemKey(partition, send_history_prefix(message_id=message_id, app_id=app_id) + suffix),
    ]


def send_key(org_id: str, send_id: str) -> ItemKey:
    """The key of a send's record (totals and progress)."""
    return ItemKey(send_partition(org_id, send_id), SEND_SORT_KEY)


def delivery_job_key(org_id: str, send_id: str, job_id: str) -> ItemKey:
    """The key of one delivery job's claim, which becomes its ledger item when the job completes."""
    return ItemKey(send_partition(org_id, send_id), f"{JOB_PREFIX}{_component(job_id)}")


#: Suffix of the sort key of a job's outcomes item, beside its claim (``JOB#<jobId>#E``).
JOB_OUTCOMES_SUFFIX = "#E"


def job_outcomes_key(org_id: str, send_id: str, job_id: str) -> ItemKey:
    """The key of the item holding a job's outcomes, written once beside its (small) claim item."""
    claim = delivery_job_key(org_id, send_id, job_id)
    return ItemKey(claim.pk, claim.sk + JOB_OUTCOMES_SUFFIX)


def parked_jobs_partition(org_id: str, app_id: str) -> str:
    """The partition of an app's parked delivery jobs (its credentials failed)."""
    return _SEPARATOR.join(("PARKED", _component(org_id), _component(app_id)))


def parked_job_key(org_id: str, app_id: str, platform: str, job_id: str) -> ItemKey:
    """The key of one parked delivery job."""
    return ItemKey(parked_jobs_partition(org_id, app_id), f"{_component(platform)}{_SEPARATOR}{_component(job_id)}")


def insight_counter_key(org_id: str, dimension: str, dimension_id: str, day: str) -> ItemKey:
    """The key of one day's delivery counters of a message, journey or app.

    Args:
        org_id: The org.
        dimension: ``MESSAGE``, ``JOURNEY`` or ``APP``.
        dimension_id: The message, journey or app id.
        day: The UTC day, ``yyyy-mm-dd``.
    """
    partition = _SEPARATOR.join(("INSIGHT", _component(org_id), _component(dimension), _component(dimension_id)))
    return ItemKey(partition, f"DAY{_SEPARATOR}{_component(day)}")


# ---------------------------------------------------------------- token lifecycle and cleanup
#: Device items spread their ``GSI1`` entries over this many partitions per status, so the daily
#: cleanup (and a burst of verdicts from one big send) never writes to a single hot index partition.
DEVICE_STATE_SHARDS = 8
DEVICE_STATE_PREFIX = "DEVSTATE#"
TOKEN_POLICY_PREFIX = "TOKENPOLICY#"  # noqa: S105 - a key prefix, not a secret
CLEANUP_STATE_KEY = ItemKey("CLEANUP#tokens", "STATE")


def device_state_shard(token_sha256: str) -> int:
    """The index shard of a device: stable for the token, spread evenly (the hash is uniform)."""
    return int(_component(token_sha256)[:2], 16) % DEVICE_STATE_SHARDS


def device_state_partition(status: str, shard: int) -> str:
    """The ``gsi1pk`` of the devices of one status in one shard (``DEVSTATE#Active#03``)."""
    if not 0 <= shard < DEVICE_STATE_SHARDS:
        raise ValueError(f"invalid device state shard: {shard!r}")
    return f"{DEVICE_STATE_PREFIX}{_component(status)}{_SEPARATOR}{shard:02d}"


def device_state_sort_key(due_at: str, platform: str, token_sha256: str) -> str:
    """The ``gsi1sk`` of a device: when its next cleanup step is due (fixed-width UTC), then the token."""
    return _SEPARATOR.join((_component(due_at), _component(platform), _component(token_sha256)))


# ---------------------------------------------------------------- audiences (broadcast sends)
#: An app's devices spread their ``GSI2`` entries over this many partitions: a broadcast reads
#: them as that many parallel page chains, and registrations never write one hot index partition.
APP_DEVICE_SHARDS = 16
AUDIENCE_PAGE_PREFIX = "AUDIENCE#"


def app_device_shard(token_sha256: str) -> int:
    """The ``GSI2`` shard of a device: stable for the token, spread evenly."""
    return int(_component(token_sha256)[:4], 16) % APP_DEVICE_SHARDS


def app_device_partition(org_id: str, app_id: str, shard: int) -> str:
    """The ``gsi2pk`` of one shard of an app's devices (``APPDEVICES#<org>#<app>#07``)."""
    if not 0 <= shard < APP_DEVICE_SHARDS:
        raise ValueError(f"invalid app device shard: {shard!r}")
    return _SEPARATOR.join(("APPDEVICES", _component(org_id), _component(app_id), f"{shard:02d}"))


def app_device_sort_key(platform: str, token_sha256: str, user_id: str) -> str:
    """The ``gsi2sk`` of a device: platform, token hash and user (unique within the app)."""
    return _SEPARATOR.join((_component(platform), _component(token_sha256), _component(user_id)))


def audience_page_key(org_id: str, send_id: str, shard: int, page: int) -> ItemKey:
    """The marker of one expanded page of a broadcast's audience (its devices are counted once)."""
    return ItemKey(send_partition(org_id, send_id), f"{AUDIENCE_PAGE_PREFIX}{shard:02d}{_SEPARATOR}{page:06d}")


#: Sort-key prefix of a segment send's page markers (beside a broadcast's ``AUDIENCE#<shard>#<page>``).
SEGMENT_PAGE_PREFIX = "AUDIENCE#SEGMENT#"
SEGMENT_PREFIX = "SEGMENT#"


def segment_page_key(org_id: str, send_id: str, page: int) -> ItemKey:
    """The marker of one expanded page of a segment send's people (its people are counted once)."""
    return ItemKey(send_partition(org_id, send_id), f"{SEGMENT_PAGE_PREFIX}{page:06d}")


def segment_key(org_id: str, segment_id: str) -> ItemKey:
    """The key of a saved segment (a named filter over the directory) of an org."""
    return ItemKey(org_partition(org_id), f"{SEGMENT_PREFIX}{_component(segment_id)}")


def token_policy_key(org_id: str, app_id: str) -> ItemKey:
    """The key of an app's token policy (stale window and grace periods); absent means the defaults."""
    return ItemKey(org_partition(org_id), f"{TOKEN_POLICY_PREFIX}{_component(app_id)}")


# ---------------------------------------------------------------- interactions and exports
INTERACTION_EVENT_PREFIX = "EVENT#"
SEND_REFERENCE_PREFIX = "DELIVERY#"
FIRST_ENGAGEMENT_PREFIX = "FIRST#"
LAST_TAP_PREFIX = "TAP#"
TRACKING_KEY_SORT_KEY = "TRACKING"


def interaction_partition(org_id: str, dimension: str, dimension_id: str) -> str:
    """The partition (``pk``, or ``gsi1pk`` for journeys) of a message's or journey's interaction records.

    Args:
        org_id: The org.
        dimension: ``MESSAGE`` (the table's partition) or ``JOURNEY`` (the ``GSI1`` partition).
        dimension_id: The message or journey id.
    """
    return _SEPARATOR.join(("IXN", _component(org_id), _component(dimension), _component(dimension_id)))


def interaction_event_sort_key(at: str, event_id: str) -> str:
    """The sort key of one open or click: fixed-width UTC time, then a random id (so exports list by time)."""
    return f"{INTERACTION_EVENT_PREFIX}{_component(at)}{_SEPARATOR}{_component(event_id)}"


def send_reference_sort_key(created_at: str, send_id: str) -> str:
    """The sort key of the item that puts a send's ledger (its ``Sent``/``NotSent`` records) into an export."""
    return f"{SEND_REFERENCE_PREFIX}{_component(created_at)}{_SEPARATOR}{_component(send_id)}"


def first_engagement_key(org_id: str, send_id: str, kind: str, tracking_id: str) -> ItemKey:
    """The key of the marker that a notification was opened (``OPENED``) or clicked (``CLICKED``) once.

    It lives in the send's partition; putting it with ``attribute_not_exists`` is what makes a
    unique open or click count once.
    """
    return ItemKey(
        send_partition(org_id, send_id),
        f"{FIRST_ENGAGEMENT_PREFIX}{_component(kind)}{_SEPARATOR}{_component(tracking_id)}",
    )


def last_tap_key(org_id: str, send_id: str, tracking_id: str) -> ItemKey:
    """The key of the item that remembers what the latest tap on a notification already counted.

    An app-reported click and the tracked-link redirect of the same tap arrive separately; this
    item, written conditionally with the interaction records, makes them count once.
    """
    return ItemKey(send_partition(org_id, send_id), f"{LAST_TAP_PREFIX}{_component(tracking_id)}")


def tracking_key_key(tracking_key: str) -> ItemKey:
    """The key of the item that names the delivery job a tracking id's first half was issued for.

    Tracking ids are random GUIDs; the devices of one job share the first half (the tracking key),
    so resolving a reported id is one ``GetItem`` here, then one read of that job's ledger.
    """
    return ItemKey(_part("TRACKING", tracking_key), TRACKING_KEY_SORT_KEY)


# ---------------------------------------------------------------- delivery timing and fatigue
DELIVERY_POLICY_PREFIX = "DELIVERYPOLICY#"
HELD_JOB_PREFIX = "HELD#"
#: Held jobs spread their due-index entries over this many ``GSI1`` partitions.
DUE_SHARDS = 8
DUE_PREFIX = "DUE#"
FREQUENCY_CAP_SORT_KEY = "CAP"


def delivery_policy_key(org_id: str, app_id: str) -> ItemKey:
    """The key of an app's delivery policy (quiet hours, caps, default zone); absent means none."""
    return ItemKey(org_partition(org_id), f"{DELIVERY_POLICY_PREFIX}{_component(app_id)}")


def held_job_key(org_id: str, send_id: str, job_id: str) -> ItemKey:
    """The key of a delivery job held until it is due (in its send's partition, so a cancel finds it)."""
    return ItemKey(send_partition(org_id, send_id), f"{HELD_JOB_PREFIX}{_component(job_id)}")


def due_shard(send_id: str, job_id: str) -> int:
    """The due-index shard of a held job: spread by job, stable for it."""
    return sum((send_id + job_id).encode()) % DUE_SHARDS


def due_partition(shard: int) -> str:
    """The ``gsi1pk`` of one due-index shard (``DUE#03``)."""
    if not 0 <= shard < DUE_SHARDS:
        raise ValueError(f"invalid due shard: {shard!r}")
    return f"{DUE_PREFIX}{shard:02d}"


def due_sort_key(due_at: str, org_id: str, send_id: str, job_id: str) -> str:
    """The ``gsi1sk`` of a held job: when it is due (fixed-width UTC), then which job."""
    return _SEPARATOR.join((_component(due_at), _component(org_id), _component(send_id), _component(job_id)))


def frequency_cap_key(org_id: str, app_id: str, user_id: str) -> ItemKey:
    """The key of a person's frequency-cap history with one app."""
    partition = _SEPARATOR.join(("CAP", _component(org_id), _component(app_id), _component(user_id)))
    return ItemKey(partition, FREQUENCY_CAP_SORT_KEY)
