"""A per-recipient send of a message that is not personal carries its notification once a job, as a
broadcast does: fewer, fuller jobs, and every device still gets the same text and its own tracking."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Final

import httpx
import pytest

from pushgate.adapters.dynamodb.directory import DynamoPersonRepository
from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
from pushgate.adapters.dynamodb.orgs import DynamoOrgRepository
from pushgate.adapters.dynamodb.recipient_devices import DynamoRecipientDevices
from pushgate.adapters.dynamodb.sends import DynamoParkedJobs, DynamoSendRepository
from pushgate.models.device import Device, DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.models.job_wire import job_message
from pushgate.services.sends.send_fanout import JOB_MAX_BYTES, JOB_MAX_DEVICES, SendRecipient, SendStores, accept_send
from pushgate_local.runtime import LocalRuntime
from pushgate_local.seeding import write_population
from tests.e2e.registration_support import create_app
from tests.e2e.test_send_device_copies import CollectingQueue
from tests.e2e.test_sends import (
    SEEDED_AT,
    _table,
    _token,
    create_active_message,
    ledger,
    stored_device,
    wait_for_completion,
)

pytestmark = pytest.mark.stack

PEOPLE = 900


#: Not personal: the same text for everyone unless trigger data names a day.
FLASH_SALE: Final = {
    "Name": "Flash sale",
    "Title": "Flash sale",
    "Body": 'Everything 20% off {{trigger.day | default: "today"}}',
    "OnClick": {"Behavior": "OpenUrl", "Url": "https://contoso.com/sale"},
}


def test_a_message_that_is_not_personal_is_carried_once_a_job(
    dev_stack: LocalRuntime, admin: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    table = _table(dev_stack)
    users = [f"shared-{app.app_id[:8]}-{n:04d}" for n in range(PEOPLE)]
    tracked = set(users[::2])
    tokens: dict[str, str] = {}
    population: list[tuple[Person, list[Device]]] = []
    for n, user in enumerate(users):
        person = Person(
            org_id=org_id,
            entity_type=EntityType.CONTACT,
            person_id=user,
            attributes=PersonAttributes(firstname="Ana", trackingconsent=user in tracked),
            created_at=SEEDED_AT,
            modified_at=SEEDED_AT,
        )
        tokens[user] = _token(DevicePlatform.IOS, "valid", app.app_id, n)
        population.append((person, [stored_device(app, user, DevicePlatform.IOS, tokens[user])]))
    write_population(table, population)
    message_id = create_active_message(admin, org_id, FLASH_SALE)

    # In process on the same table: the jobs of the send with and without trigger data
    def jobs_of(recipients: list[SendRecipient]) -> CollectingQueue:
        queue = CollectingQueue()
        stores = SendStores(
            orgs=DynamoOrgRepository(table),
            apps=DynamoMobileAppRepository(table),
            messages=DynamoMessageTemplateRepository(table),
            people=DynamoPersonRepository(table),
            sends=DynamoSendRepository(table),
            queue=queue,
            parked=DynamoParkedJobs(table),
            recipient_devices=DynamoRecipientDevices(table),
        )
        accept_send(
            org_id, app_id=app.app_id, message_id=message_id, recipients=recipients, journey_id=None, stores=stores
        )
        return queue

    shared = jobs_of([SendRecipient(user_id=user) for user in users])
    own = jobs_of([SendRecipient(user_id=user, trigger={"day": "Friday"}) for user in users])

    # Without trigger data, one notification a job and jobs as full as the device limit allows
    assert len(shared.jobs) == math.ceil(PEOPLE / JOB_MAX_DEVICES)
    assert [len(job.messages) for job in shared.jobs] == [1] * len(shared.jobs)
    assert sorted(d.user_id for job in shared.jobs for d in job.devices) == sorted(users)
    # With it, each recipient's own notification; notifications that repeat the message's text count
    # at what they add compressed, so as few jobs hold the same devices, under the queue's limit
    assert sum(len(job.messages) for job in own.jobs) == PEOPLE
    assert len(own.jobs) == len(shared.jobs)
    assert max(len(job_message(job)) for job in own.jobs) <= JOB_MAX_BYTES

    # Over HTTP, without trigger data: every device receives the same text once, tracked links only
    # with tracking consent, each with its own tracking id
    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": u} for u in users]},
    )
    assert accepted.status_code == 202, accepted.text
    send_id = accepted.json()["SendId"]
    totals = wait_for_completion(admin, org_id, send_id)
    assert (totals["Sent"], totals["NotSent"]) == (PEOPLE, 0)
    user_of = {token: user for user, token in tokens.items()}
    received = [n for n in dev_stack.simulator.notifications() if n["token"] in user_of]
    assert Counter(n["token"] for n in received) == Counter(tokens.values())
    for notification in received:
        alert = notification["payload"]["aps"]["alert"]
        assert (alert["title"], alert["body"]) == ("Flash sale", "Everything 20% off today")
        assert ("/l/" in json.dumps(notification["payload"])) is (user_of[notification["token"]] in tracked)
    entries = ledger(admin, org_id, send_id, "Sent")
    assert len({entry["TrackingId"] for entry in entries}) == PEOPLE
