"""A per-recipient send decides from the copy of each person on their devices, placeholders included:
the same outcomes as a send that reads every person, without the reads; a device copied before the
copy carried the whole record has its person read for a personal message."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from pushgate.adapters.dynamodb.devices import DynamoDeviceRepository
from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.adapters.dynamodb.keys import device_key
from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
from pushgate.adapters.dynamodb.orgs import DynamoOrgRepository
from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
from pushgate.adapters.dynamodb.sends import DynamoParkedJobs, DynamoSendRepository
from pushgate.models.device import DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.models.send import DeliveryJob
from pushgate.services.sends.send_fanout import SendRecipient, SendStores, accept_send
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import create_app
from tests.e2e.test_sends import SEEDED_AT, _table, _token, ledger, stored_device, wait_for_completion

pytestmark = pytest.mark.stack


class CountingPeople:
    """The directory, counting the records a send reads."""

    def __init__(self, people: DynamoPersonRepository) -> None:
        self._people = people
        self.reads: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._people, name)

    def get_many(self, org_id: str, refs: Sequence[tuple[EntityType, str]]) -> list[Person]:
        self.reads.extend(user for _, user in refs)
        return self._people.get_many(org_id, refs)


class CollectingQueue:
    """Keeps the jobs of the in-process sends (the sends over HTTP are delivered for real)."""

    def __init__(self) -> None:
        self.jobs: list[DeliveryJob] = []

    def send(self, jobs: Sequence[DeliveryJob], *, delay_seconds: int = 0) -> None:
        self.jobs.extend(jobs)


def recipients(users: Sequence[str]) -> list[SendRecipient]:
    return [SendRecipient(user_id=user, trigger={"order": "SO-1"}) for user in users]


def _message(admin: httpx.Client, org_id: str, title: str) -> str:
    created = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages",
        json={
            "Name": title,
            "Title": title,
            "Body": "Order {{trigger.order}} is on its way",
            "OnClick": {"Behavior": "OpenUrl", "Url": "https://contoso.com/orders"},
            "Localizations": {"pt-BR": {"Title": f"{title} (pt)", "Body": "A caminho"}},
        },
    )
    assert created.status_code == 201, created.text
    message_id = str(created.json()["MessageId"])
    assert admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate").status_code == 200
    return message_id


def _send(admin: httpx.Client, org_id: str, app_id: str, message_id: str, users: Sequence[str]) -> dict[str, Any]:
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={
            "MobileAppId": app_id,
            "MessageId": message_id,
            "Recipients": [{"UserId": user, "TriggerData": {"order": "SO-1"}} for user in users],
        },
    )
    assert accepted.status_code == 202, accepted.text
    answer: dict[str, Any] = accepted.json()
    wait_for_completion(admin, org_id, answer["SendId"])
    return answer


def _outcomes(admin: httpx.Client, org_id: str, send_id: str) -> dict[str, list[tuple[str, str | None]]]:
    found: dict[str, list[tuple[str, str | None]]] = {}
    for entry in ledger(admin, org_id, send_id):
        found.setdefault(entry["UserId"], []).append((entry["Outcome"], entry.get("Reason")))
    return {user: sorted(outcomes, key=str) for user, outcomes in found.items()}


def test_without_placeholders_the_devices_answer_for_the_person_with_the_same_outcomes(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    table = _table(dev_stack)
    people = DynamoPersonRepository(table)
    devices = DynamoDeviceRepository(table)
    prefix = app.app_id[:8]
    ana, bo, cy, dee, nobody = (f"{prefix}-{name}" for name in ("ana", "bo", "cy", "dee", "nobody"))
    tokens: dict[str, str] = {}

    def person(user: str, revision: int = 1, **attributes: Any) -> Person:
        return Person(
            org_id=org_id,
            entity_type=EntityType.CONTACT,
            person_id=user,
            attributes=PersonAttributes(firstname="Ana", **attributes),
            created_at=SEEDED_AT,
            modified_at=SEEDED_AT,
            revision=revision,
        )

    serial = 0
    for user, attributes in (
        (ana, {"trackingconsent": True, "locale": "pt-BR"}),
        (bo, {}),
        (cy, {}),
        (dee, {"pushconsent": False}),
    ):
        people.save(person(user, **attributes), previous=None)
        if user == cy:
            continue  # no device
        serial += 1
        tokens[user] = _token(DevicePlatform.IOS, "valid", app.app_id, serial)
        devices.save(stored_device(app, user, DevicePlatform.IOS, tokens[user]), expected_owner=None)
    # Bo withdraws push consent just before the sends: the directory's transaction updates his devices.
    people.save(person(bo, revision=2, pushconsent=False), previous=person(bo))

    users = [ana, bo, cy, dee, nobody]
    plain_message = _message(admin, org_id, "Flash sale")
    personal_message = _message(admin, org_id, "Hi {{contact.firstname}}")
    plain = _send(admin, org_id, app.app_id, plain_message, users)
    personal = _send(admin, org_id, app.app_id, personal_message, users)

    # The same answers and the same ledger, whether the person was read or their devices answered.
    expected_rejected = [
        {"UserId": bo, "Reason": "NoPushConsent"},
        {"UserId": dee, "Reason": "NoPushConsent"},
        {"UserId": nobody, "Reason": "UnknownRecipient"},
    ]
    for answer in (plain, personal):
        assert answer["Accepted"] == 2
        assert sorted(answer["Rejected"], key=lambda r: r["UserId"]) == expected_rejected
    plain_outcomes = _outcomes(admin, org_id, plain["SendId"])
    assert plain_outcomes == _outcomes(admin, org_id, personal["SendId"])
    assert plain_outcomes[ana] == [("Sent", None)]
    assert plain_outcomes[cy] == [("NotSent", "NoValidDevice")]

    # The directory reads of the same sends, made in process on the same table: only the recipients
    # without a device are read, for the plain message and for the personal one.
    reader = CountingPeople(people)
    queue = CollectingQueue()
    stores = SendStores(
        orgs=DynamoOrgRepository(table),
        apps=DynamoMobileAppRepository(table),
        messages=DynamoMessageTemplateRepository(table),
        people=reader,
        sends=DynamoSendRepository(table),
        queue=queue,
        parked=DynamoParkedJobs(table),
        recipient_devices=DynamoRecipientDevices(table),
    )
    accept_send(
        org_id,
        app_id=app.app_id,
        message_id=plain_message,
        recipients=recipients(users),
        journey_id=None,
        stores=stores,
    )
    assert set(reader.reads) == {cy, nobody}
    reader.reads.clear()
    accept_send(
        org_id,
        app_id=app.app_id,
        message_id=personal_message,
        recipients=recipients(users),
        journey_id=None,
        stores=stores,
    )
    assert set(reader.reads) == {cy, nobody}
    reader.reads.clear()
    accept_send(
        org_id,
        app_id=app.app_id,
        message_id=plain_message,
        recipients=recipients([ana, bo, dee]),
        journey_id=None,
        stores=stores,
    )
    assert reader.reads == []
    assert [device.user_id for job in queue.jobs for device in job.devices] == [ana, ana, ana]
    assert sorted(message.title for job in queue.jobs for message in job.messages) == [
        "Flash sale (pt)",
        "Flash sale (pt)",
        "Hi Ana (pt)",
    ]

    # A device copied before the copy carried the whole record: the personal message reads Ana.
    sha = hashlib.sha256(tokens[ana].encode()).hexdigest()
    key = device_key(org_id, app.app_id, ana, DevicePlatform.IOS.value, sha)
    table.transact_write([{"Update": {"Key": key.as_dict(), "UpdateExpression": "REMOVE person_record"}}])
    queue.jobs.clear()
    accept_send(
        org_id,
        app_id=app.app_id,
        message_id=personal_message,
        recipients=recipients([ana]),
        journey_id=None,
        stores=stores,
    )
    assert reader.reads == [ana]
    assert [message.title for job in queue.jobs for message in job.messages] == ["Hi Ana (pt)"]
    _send(admin, org_id, app.app_id, plain_message, [ana])

    # Ana's notification carries a tracked link (she consented to tracking), from the copy on her device.
    received = [n for n in dev_stack.simulator.notifications() if n["token"] == tokens[ana]]
    assert len(received) == 3
    assert all("/l/" in json.dumps(n["payload"]) for n in received)
    # ... and in her locale's words, also from the copy.
    assert sorted(n["payload"]["aps"]["alert"]["title"] for n in received) == [
        "Flash sale (pt)",
        "Flash sale (pt)",
        "Hi Ana (pt)",
    ]
    assert not [n for n in dev_stack.simulator.notifications() if n["token"] in (tokens[bo], tokens[dee])]
