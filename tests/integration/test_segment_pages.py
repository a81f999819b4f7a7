"""A segment send's people read page by page from DynamoDB Local: every matching person with consent
lands in exactly one delivery job, the others in the ledger; a page read twice (a redelivered SQS
message, or a worker that died before counting it) makes the same job ids and counts once."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
from pushgate.adapters.dynamodb.sends import DynamoSendRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.delivery_timing import DEFAULT_DELIVERY_POLICY
from pushgate.models.device import Device, DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.models.message_template import MessageContent
from pushgate.models.send import DeliveryJob, SegmentPage, SendRecord
from pushgate.services.sends.segment_sends import SegmentPorts, expand_segment_page
from pushgate_local.seeding import write_population
from tests.fakes.queues import ListQueue
from tests.fakes.stores import FakeApps
from tests.integration.stored_devices import registered_device
from tests.integration.test_device_ranges import table_without_user_order_index
from tests.unit.test_delivery import _app

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FILTER = "address1_city eq 'Berlin' and customattributes/orders ge 3"


def _seed(table: MainTable, org_id: str, app_id: str, count: int) -> dict[str, tuple[bool, bool, list[str]]]:
    """People: every other in Berlin, ``orders`` 0-4, every 7th without push consent; leads too.

    Returns:
        Person id → (matches the filter, consented, device tokens).
    """
    people, devices = DynamoPersonRepository(table), DynamoDeviceRepository(table)
    seeded = {}
    for index in range(count):
        person_id = f"p{index:03d}"
        kind = EntityType.LEAD if index % 10 == 9 else EntityType.CONTACT
        city = "Berlin" if index % 2 == 0 else "Bonn"
        consent = index % 7 != 0
        people.save(
            Person(
                org_id=org_id,
                entity_type=kind,
                person_id=person_id,
                attributes=PersonAttributes(
                    firstname=f"F{index}", address1_city=city, pushconsent=consent,
                    customattributes={"orders": index % 5},
                ),
                created_at=NOW,
                modified_at=NOW,
            ),
            previous=None,
        )  # fmt: skip
        tokens = []
        for number in range(index % 3):  # 0, 1 or 2 devices
            platform = DevicePlatform.IOS if number == 0 else DevicePlatform.ANDROID
            device = registered_device(org_id, app_id, person_id, f"{person_id}-{number}", platform=platform)
            tokens.append(device.token)
            devices.save(device, expected_owner=None)
        matches = kind is EntityType.CONTACT and city == "Berlin" and index % 5 >= 3
        seeded[person_id] = (matches, consent, tokens)
    return seeded


def _segment_send(
    table: MainTable, org_id: str, app_id: str, segment_filter: str, content: MessageContent
) -> tuple[SegmentPage, SegmentPorts, DynamoSendRepository, ListQueue, ListQueue]:
    """A stored segment send over ``table`` and its first page; the ports expand pages into the
    returned page and job queues."""
    send_id, message_id = str(uuid.uuid4()), str(uuid.uuid4())
    sends = DynamoSendRepository(table)
    sends.create(
        SendRecord(
            org_id=org_id, send_id=send_id, app_id=app_id, message_id=message_id, message_version=1,
            created_at=NOW, recipients_accepted=0, recipients_rejected=0, devices_targeted=0,
            recipient_outcomes=0, jobs_total=0, audience_shards_pending=1, audience_filter=segment_filter,
            audience_kind=EntityType.CONTACT,
        ),
        [],
        {},
    )  # fmt: skip
    template = DeliveryJob(
        job_id="template", org_id=org_id, app_id=app_id, send_id=send_id, message_id=message_id,
        message_version=1, messages=[], devices=[],
    )  # fmt: skip
    first = SegmentPage(
        template=template,
        content=content,
        kind=EntityType.CONTACT,
        filter=segment_filter,
        policy=DEFAULT_DELIVERY_POLICY,
        accepted_at=NOW,
    )
    pages, jobs = ListQueue(), ListQueue()
    app = _app().model_copy(update={"org_id": org_id, "app_id": app_id})
    ports = SegmentPorts(
        people=DynamoPersonRepository(table), apps=FakeApps(app), devices=DynamoRecipientDevices(table),
        progress=sends, pages=pages, jobs=jobs, held=None,
    )  # fmt: skip
    return first, ports, sends, pages, jobs


def test_every_matching_person_is_in_one_job_and_a_page_read_twice_counts_once(table: MainTable) -> None:
    org_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    seeded = _seed(table, org_id, app_id, 60)
    first, ports, sends, pages, jobs = _segment_send(
        table, org_id, app_id, FILTER, MessageContent(name="n", title="Hi {{contact.firstname}}", body="Your orders")
    )
    send_id = first.template.send_id
    pages.items = [first]
    expanded: list[tuple[SegmentPage, int]] = []
    while pages.items:
        page = pages.items.pop(0)
        assert isinstance(page, SegmentPage)
        expanded.append((page, expand_segment_page(page, ports, now=lambda: NOW, page_size=8)))
    assert len(expanded) == 7  # 54 contacts, 8 a page

    # A page with devices, read again as if its first reading had died before counting it: the
    # same job ids (the delivery claims send each once), the same people in them.
    repeated, _ = next((page, devices) for page, devices in expanded if page.page >= 1 and devices)
    before = len(jobs.items)
    marker = sends.segment_page_counted(org_id, send_id, repeated.page)
    assert marker
    sends.segment_page_counted = lambda *_: False  # type: ignore[method-assign]
    assert expand_segment_page(repeated, ports, now=lambda: NOW, page_size=8) == 0  # counted once
    first_pass = [job for job in jobs.items[:before] if isinstance(job, DeliveryJob)]
    again = [job for job in jobs.items[before:] if isinstance(job, DeliveryJob)]
    by_id = {job.job_id: job for job in first_pass}
    assert again and all(
        [d.user_id for d in job.devices] == [d.user_id for d in by_id[job.job_id].devices] for job in again
    )
    assert [page.page for page in pages.items if isinstance(page, SegmentPage)] == [repeated.page + 1]

    reached = {p for p, (matches, consent, tokens) in seeded.items() if matches and consent and tokens}
    withdrawn = {p for p, (matches, consent, _) in seeded.items() if matches and not consent}
    no_device = {p for p, (matches, consent, tokens) in seeded.items() if matches and consent and not tokens}
    tokens = Counter(device.token for job in first_pass for device in job.devices)
    assert tokens == Counter(t for p in reached for t in seeded[p][2])
    assert len(by_id) == len(first_pass)
    # Rendered from each person's own attributes.
    for job in first_pass:
        for device in job.devices:
            assert job.messages[device.message].title == f"Hi F{int(device.user_id[1:])}"
    stored = sends.get(org_id, send_id)
    assert stored is not None
    assert stored.recipients_accepted == len(reached) + len(withdrawn) + len(no_device)
    assert stored.devices_targeted == sum(tokens.values())
    assert stored.jobs_total == len(first_pass)
    assert stored.not_sent_reasons == {
        **({"NoPushConsent": len(withdrawn)} if withdrawn else {}),
        **({"NoValidDevice": len(no_device)} if no_device else {}),
    }
    assert stored.audience_shards_pending == 0
    entries = sends.ledger_page(org_id, send_id, limit=1000, next_token=None, outcome=None).entries
    assert Counter(e.reason for e in entries) == {"NoPushConsent": len(withdrawn), "NoValidDevice": len(no_device)}


def test_a_segment_send_is_not_complete_while_a_page_before_the_last_is_uncounted(table: MainTable) -> None:
    """Pages are read in parallel (each enqueues the next before its own work), so the last page can
    be counted while an earlier one is still being fanned out: the send is not complete until every
    page up to the last is counted, even when everything counted so far is decided."""
    org_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    people, devices = DynamoPersonRepository(table), DynamoDeviceRepository(table)
    for index, with_device in enumerate((True, True, False)):
        person_id = f"p{index}"
        attributes = PersonAttributes(firstname="Ana", pushconsent=True, customattributes={"tier": "gold"})
        people.save(
            Person(
                org_id=org_id, entity_type=EntityType.CONTACT, person_id=person_id, attributes=attributes,
                created_at=NOW, modified_at=NOW,
            ),
            previous=None,
        )  # fmt: skip
        if with_device:
            token = hashlib.sha256(person_id.encode()).hexdigest()
            devices.save(
                Device(
                    org_id=org_id, app_id=app_id, user_id=person_id, platform=DevicePlatform.IOS, token=token,
                    token_sha256=hashlib.sha256(token.encode()).hexdigest(), registered_at=NOW,
                    last_registered_at=NOW, status_changed_at=NOW,
                ),
                expected_owner=None,
            )  # fmt: skip
    first, ports, sends, _, _ = _segment_send(
        table, org_id, app_id, "customattributes/tier eq 'gold'", MessageContent(name="n", title="Hi", body="Gold")
    )
    send_id = first.template.send_id

    # Page 0 (p0, p1) enqueued page 1 and is still at work when page 1 (p2, no device: decided at
    # once as NoValidDevice) is read and counted as the last.
    last = first.model_copy(update={"page": 1, "after_id": "p1"})
    expand_segment_page(last, ports, now=lambda: NOW, page_size=2)
    stored = sends.get(org_id, send_id)
    assert stored is not None
    assert stored.recipient_outcomes == stored.not_sent == 1
    assert not stored.completed  # page 0's two people are not counted yet

    assert expand_segment_page(first, ports, now=lambda: NOW, page_size=2) == 2
    stored = sends.get(org_id, send_id)
    assert stored is not None
    assert stored.devices_targeted == 2
    assert stored.audience_shards_pending == 0
    assert not stored.completed  # counted, not yet delivered


def test_a_page_of_people_holds_its_limit_past_a_querys_1_mb(table: MainTable) -> None:
    # Given 1,300 contacts of about 1 KB each in one org (1.3 MB), and a lead who is not on the pages
    org_id = str(uuid.uuid4())
    people = [
        Person(
            org_id=org_id,
            entity_type=EntityType.CONTACT,
            person_id=f"contact-{n:05d}",
            attributes=PersonAttributes(firstname="Ana", customattributes={"notes": "x" * 900}),
            created_at=NOW,
            modified_at=NOW,
        )
        for n in range(1300)
    ]
    lead = people[0].model_copy(update={"entity_type": EntityType.LEAD, "person_id": "lead-1"})
    write_population(table, [(person, []) for person in [*people, lead]])

    # When pages of 1,200 are read, then the first holds 1,200 contacts in id order and the next the rest
    directory = DynamoPersonRepository(table)
    first, after = directory.read_page(org_id, EntityType.CONTACT, after_id=None, limit=1200)
    assert [p.person_id for p in first] == [p.person_id for p in people[:1200]]
    rest, last = directory.read_page(org_id, EntityType.CONTACT, after_id=after, limit=1200)
    assert [p.person_id for p in rest] == [p.person_id for p in people[1200:]]
    assert last is None


class _IndexReads:
    """The DynamoDB requests a client sends, by operation and index (``-`` for the table)."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        client.meta.events.register("provide-client-params.dynamodb", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[(model.name, params.get("IndexName", "-"))] += 1


def _sent_tokens(table: MainTable, org_id: str, app_id: str, segment_filter: str, page_size: int) -> Counter[str]:
    """The tokens every page of a segment send over ``table`` puts into jobs."""
    first, ports, _, pages, jobs = _segment_send(
        table, org_id, app_id, segment_filter, MessageContent(name="n", title="Hi {{contact.firstname}}", body="b")
    )
    pages.items = [first]
    while pages.items:
        page = pages.items.pop(0)
        assert isinstance(page, SegmentPage)
        expand_segment_page(page, ports, now=lambda: NOW, page_size=page_size)
    return Counter(device.token for job in jobs.items if isinstance(job, DeliveryJob) for device in job.devices)


def _expected_tokens(seeded: dict[str, tuple[bool, bool, list[str]]], matches: Callable[[str], bool]) -> Counter[str]:
    return Counter(t for p, (_, consent, tokens) in seeded.items() if matches(p) and consent for t in tokens)


def test_a_dense_page_reads_its_peoples_devices_as_one_range_of_the_index(table: MainTable, client: Any) -> None:
    """Half of a page of 120 matches: its people's devices come from the app's devices in user order
    (``GSI4``, one range a shard), not from each person's partition, and reach the same tokens."""
    org_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    seeded = _seed(table, org_id, app_id, 120)
    reads = _IndexReads(client)

    tokens = _sent_tokens(table, org_id, app_id, "address1_city eq 'Berlin'", 120)

    berlin = {f"p{n:03d}" for n in range(0, 120, 2) if n % 10 != 9}  # contacts of every other index
    assert tokens == _expected_tokens(seeded, berlin.__contains__)
    assert reads.calls[("ExecuteStatement", "-")] == 0
    assert reads.calls[("Query", "GSI4")] >= 16


def test_a_sparse_page_reads_its_few_peoples_devices_person_by_person(table: MainTable, client: Any) -> None:
    org_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    seeded = _seed(table, org_id, app_id, 60)
    reads = _IndexReads(client)

    # Pages of 12 people, 1 of them matching: a range would cost its parts' 16 queries.
    tokens = _sent_tokens(table, org_id, app_id, "customattributes/orders eq 4 and address1_city eq 'Berlin'", 12)

    assert tokens == _expected_tokens(seeded, lambda p: seeded[p][0] and int(p[1:]) % 5 == 4)
    assert reads.calls[("Query", "GSI4")] == 0
    assert reads.calls[("ExecuteStatement", "-")] > 0


def test_while_the_index_is_not_there_a_dense_page_reads_person_by_person(client: Any) -> None:
    """A stack update that adds ``GSI4`` deploys the functions while DynamoDB still builds it."""
    older = table_without_user_order_index(client)
    org_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
    seeded = _seed(older, org_id, app_id, 120)
    reads = _IndexReads(client)

    tokens = _sent_tokens(older, org_id, app_id, "address1_city eq 'Berlin'", 120)

    berlin = {f"p{n:03d}" for n in range(0, 120, 2) if n % 10 != 9}
    assert tokens == _expected_tokens(seeded, berlin.__contains__)
    assert reads.calls[("ExecuteStatement", "-")] > 0
