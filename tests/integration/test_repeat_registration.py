"""What a repeat registration costs (DynamoDB Local): apps register the same token at every launch.

Every request goes through the real handlers (``register_device``, and ``verify_device`` for what the
v2 route enqueued), and every DynamoDB call they make is asked for its ``ConsumedCapacity``, summed
by a botocore hook on the one session ``pushgate.deps`` builds its clients from. The registration
being repeated is stored first; the repeat is measured alone.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from bench.metering import DYNAMODB_OPERATIONS, READ_OPERATIONS
from functions.register_device import app as register_device
from functions.verify_device import app as verify_device
from pushgate import deps
from pushgate.adapters.dynamodb.keys import GSI1_SORT_KEY, device_key
from pushgate.models.device import DevicePlatform, DeviceStatus
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.models.org import Org
from pushgate.services.apps.api_tokens import issue_api_token
from pushgate.services.devices.device_registration import token_sha256
from pushgate_local.events import http_api_event, sqs_event
from pushgate_local.provision import ProvisionedResources
from pushgate_local.template import HttpRoute
from tests.conftest import REGION, FakeLambdaContext
from tests.fakes.apps import stored_app

V1_ROUTE = HttpRoute("POST", "/api/v1.0/orgs/{orgId}/pushchannel/apps/{proxy+}", "NONE")
V2_ROUTE = HttpRoute("POST", "/api/v1.0/orgs/{orgId}/pushdeviceregistration/{proxy+}", "NONE")


class CapacityMeter:
    """Sums the read and write units of every DynamoDB call, and counts SQS messages sent."""

    def __init__(self) -> None:
        self.read_units = 0.0
        self.write_units = 0.0
        self.calls: list[str] = []
        self.messages_sent = 0

    def install(self) -> None:
        events = deps.aws_session().get_component("event_emitter")
        for operation in DYNAMODB_OPERATIONS:
            events.register(f"provide-client-params.dynamodb.{operation}", self._ask)
            events.register(f"after-call.dynamodb.{operation}", self._count)
        events.register("provide-client-params.sqs.SendMessageBatch", self._sent)
        events.register("provide-client-params.sqs.SendMessage", self._sent)

    def reset(self) -> None:
        self.read_units = self.write_units = 0.0
        self.calls = []
        self.messages_sent = 0

    @staticmethod
    def _ask(params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity") or []
        # A failed conditional write answers with an error and no units: AWS still bills at least
        # one write unit for it, so it counts as one here.
        if "Error" in parsed and model.name not in READ_OPERATIONS:
            consumed = [{"CapacityUnits": 1.0}]
        units = sum(
            entry.get("CapacityUnits", 0.0) for entry in (consumed if isinstance(consumed, list) else [consumed])
        )
        self.calls.append(model.name)
        if model.name in READ_OPERATIONS:
            self.read_units += units
        else:
            self.write_units += units

    def _sent(self, params: dict[str, Any], **_: Any) -> None:
        self.messages_sent += len(params.get("Entries", [params]))


class Clock:
    """The local runtime's movable clock (``PUSHGATE_LOCAL_CLOCK_FILE``), which registrations read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = timedelta()
        self.move(timedelta())

    def move(self, by: timedelta) -> None:
        self.offset += by
        self.path.write_text(json.dumps({"offset_seconds": self.offset.total_seconds()}))


class Stack:
    """An org with an iOS app and an ApiToken, the handlers, and the registration queue."""

    def __init__(self, resources: ProvisionedResources, meter: CapacityMeter) -> None:
        self.meter = meter
        self.queue_url = resources.queue_urls["RegistrationQueue"]
        self.sqs = boto3.client("sqs", region_name=REGION)
        now = datetime.now(UTC)
        self.org_id, self.app_id = str(uuid.uuid4()), str(uuid.uuid4())
        deps.org_repository().create(Org(org_id=self.org_id, name="Contoso", created_at=now))
        self.app = stored_app(self.org_id, self.app_id, at=now)
        stores = deps.mobile_app_stores()
        stores.apps.create(self.app)
        _, self.api_token = issue_api_token(self.org_id, self.app_id, label="launches", stores=stores)

    def v1(self, user_id: str, token: str) -> dict[str, Any]:
        path = f"/api/v1.0/orgs/{self.org_id}/pushchannel/apps/{self.app_id}/devices/{user_id}"
        body = {"ApiToken": self.api_token, "ApnsDeviceContract": {"ApnsToken": token}}
        return self._call(V1_ROUTE, path, body, {}, {"proxy": f"{self.app_id}/devices/{user_id}"})

    def v2(self, user_id: str, token: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        path = f"/api/v1.0/orgs/{self.org_id}/pushdeviceregistration/devices"
        body = {"MobileAppId": self.app_id, "UserId": user_id, "ApiToken": self.api_token, "ApnsDeviceToken": token}
        response = self._call(V2_ROUTE, path, body, headers or {}, {"proxy": "devices"})
        self.run_worker()
        return response

    def _call(
        self, route: HttpRoute, path: str, body: dict[str, Any], headers: dict[str, str], proxy: dict[str, str]
    ) -> dict[str, Any]:
        event = http_api_event(
            route=route,
            method="POST",
            raw_path=path,
            raw_query="",
            headers={"content-type": "application/json", "host": "localhost", **headers},
            body=json.dumps(body).encode(),
            path_parameters={"orgId": self.org_id, **proxy},
            source_ip="127.0.0.1",
            domain_name="localhost",
            authorizer=None,
        )
        response: dict[str, Any] = register_device.lambda_handler(event, FakeLambdaContext())
        return response

    def run_worker(self) -> None:
        """Hands whatever the API enqueued to the registration worker, as the event source mapping would."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        )
        messages = received.get("Messages", [])
        if not messages:
            return
        event = sqs_event(messages, "arn:aws:sqs:us-east-1:000000000000:RegistrationQueue", REGION)
        result = verify_device.lambda_handler(event, FakeLambdaContext())
        assert result == {"batchItemFailures": []}
        self.sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
        )

    def device_item(self, user_id: str, token: str) -> dict[str, Any]:
        item = deps.main_table().get(
            device_key(self.org_id, self.app_id, user_id, DevicePlatform.IOS.value, token_sha256(token))
        )
        assert item is not None
        return item


@pytest.fixture
def meter() -> CapacityMeter:
    return CapacityMeter()


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    path = tmp_path / "clock.json"
    monkeypatch.setenv("PUSHGATE_LOCAL_CLOCK_FILE", str(path))
    return Clock(path)


@pytest.fixture
def stack(
    aws_env: ProvisionedResources, meter: CapacityMeter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    monkeypatch.setenv("REGISTRATION_QUEUE_URL", aws_env.queue_urls["RegistrationQueue"])
    monkeypatch.setenv("SECRETS_PREFIX", "pushgate/")
    deps.reset()
    meter.install()
    yield Stack(aws_env, meter)


def token() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex


def test_a_v1_repeat_within_a_day_reads_one_unit_and_writes_nothing(stack: Stack, clock: Clock) -> None:
    user_id, apns = str(uuid.uuid4()), token()
    assert stack.v1(user_id, apns)["statusCode"] == 200
    before = stack.device_item(user_id, apns)
    clock.move(timedelta(hours=23))
    stack.meter.reset()

    response = stack.v1(user_id, apns.upper())

    assert (response["statusCode"], response["body"]) == (200, "")
    assert stack.meter.write_units == 0, (stack.meter.calls, stack.meter.read_units, stack.meter.write_units)
    assert stack.meter.read_units <= 1, stack.meter.calls
    assert stack.device_item(user_id, apns) == before


def test_a_v2_repeat_within_a_day_reads_one_unit_writes_nothing_and_enqueues_nothing(
    stack: Stack, clock: Clock
) -> None:
    user_id, apns = str(uuid.uuid4()), token()
    assert stack.v1(user_id, apns)["statusCode"] == 200
    before = stack.device_item(user_id, apns)
    clock.move(timedelta(hours=12))
    stack.meter.reset()

    response = stack.v2(user_id, apns)

    assert (response["statusCode"], response.get("body")) == (202, "")
    assert stack.meter.write_units == 0, stack.meter.calls
    assert stack.meter.read_units <= 1, stack.meter.calls
    assert stack.meter.messages_sent == 0
    assert stack.device_item(user_id, apns) == before


def test_a_repeat_a_day_later_moves_the_sweep_due_time_once(stack: Stack, clock: Clock) -> None:
    user_id, apns = str(uuid.uuid4()), token()
    assert stack.v1(user_id, apns)["statusCode"] == 200
    first = stack.device_item(user_id, apns)
    clock.move(timedelta(hours=24, minutes=1))

    stack.meter.reset()
    assert stack.v1(user_id, apns)["statusCode"] == 200
    moved = stack.device_item(user_id, apns)
    assert moved[GSI1_SORT_KEY] > first[GSI1_SORT_KEY]
    assert moved["last_registered_at"] > first["last_registered_at"]
    assert moved["registered_at"] == first["registered_at"]
    assert stack.meter.calls.count("UpdateItem") == 1

    # The next launches that day find it fresh again: the due time stays where it moved.
    # (1 h, 6 h and 23 h after it moved)
    for hours in (1, 5, 17):
        clock.move(timedelta(hours=hours))
        stack.meter.reset()
        assert stack.v2(user_id, apns)["statusCode"] == 202
        assert stack.v1(user_id, apns)["statusCode"] == 200
        assert stack.meter.write_units == 0, stack.meter.calls
        assert stack.device_item(user_id, apns)[GSI1_SORT_KEY] == moved[GSI1_SORT_KEY]


def test_a_tracked_v2_repeat_reports_duplicate_and_writes_only_its_outcome(stack: Stack, clock: Clock) -> None:
    user_id, apns = str(uuid.uuid4()), token()
    assert stack.v1(user_id, apns)["statusCode"] == 200
    before = stack.device_item(user_id, apns)
    clock.move(timedelta(minutes=5))
    stack.meter.reset()

    response = stack.v2(user_id, apns, {"x-ms-track-registration": "true"})
    calls, write_units = list(stack.meter.calls), stack.meter.write_units

    request_id = json.loads(response["body"])["RegistrationRequestId"]
    (status,) = deps.registration_status_repository().get_many(stack.org_id, stack.app_id, [request_id]).values()
    assert (status.outcome.state.value, status.outcome.reason) == ("Failed", "DuplicateExists")
    # The outcome the app asked to keep is the one item written; the device is left alone.
    assert calls.count("PutItem") == 1
    assert write_units <= 1, calls
    assert stack.device_item(user_id, apns) == before


def test_what_is_not_a_repeat_is_written(stack: Stack, clock: Clock) -> None:
    user_id, apns = str(uuid.uuid4()), token()
    assert stack.v1(user_id, apns)["statusCode"] == 200

    # Another user: the token moves.
    other = str(uuid.uuid4())
    assert stack.v1(other, apns)["statusCode"] == 200
    assert stack.device_item(other, apns)["status"] == DeviceStatus.ACTIVE.value
    assert (
        deps.main_table().get(
            device_key(stack.org_id, stack.app_id, user_id, DevicePlatform.IOS.value, token_sha256(apns))
        )
        is None
    )

    # Another token of the same user: a new device.
    second = token()
    assert stack.v1(other, second)["statusCode"] == 200
    assert stack.device_item(other, second)["status"] == DeviceStatus.ACTIVE.value

    # A device a provider marked Invalid an hour after it registered is not fresh: registering revives it.
    clock.move(timedelta(hours=1))
    key = device_key(stack.org_id, stack.app_id, other, DevicePlatform.IOS.value, token_sha256(second))
    deps.main_table().update_if(
        key, {"status": DeviceStatus.INVALID.value}, condition="attribute_exists(#pk)", condition_values={}
    )
    stack.meter.reset()
    assert stack.v1(other, second)["statusCode"] == 200
    assert stack.meter.write_units > 0
    assert stack.device_item(other, second)["status"] == DeviceStatus.ACTIVE.value


def test_a_repeat_leaves_the_devices_copy_of_its_person_as_the_directory_keeps_it(stack: Stack, clock: Clock) -> None:
    user_id, apns = str(uuid.uuid4()), token()
    people = deps.person_repository()
    now = datetime.now(UTC)
    person = Person(
        org_id=stack.org_id,
        entity_type=EntityType.CONTACT,
        person_id=user_id,
        attributes=PersonAttributes.model_validate({"pushconsent": True, "timezone": "Europe/Paris"}),
        created_at=now,
        modified_at=now,
        revision=1,
    )
    people.save(person, previous=None)
    assert stack.v1(user_id, apns)["statusCode"] == 200
    assert stack.device_item(user_id, apns)["timezone"] == "Europe/Paris"

    # The directory write updates the device's copy; the repeat after it finds the device fresh and
    # keeps that copy.
    changed = person.model_copy(
        update={
            "attributes": PersonAttributes.model_validate({"pushconsent": False, "timezone": "Asia/Tokyo"}),
            "revision": 2,
        }
    )
    people.save(changed, previous=person)
    clock.move(timedelta(hours=2))
    stack.meter.reset()
    assert stack.v2(user_id, apns)["statusCode"] == 202
    assert stack.meter.write_units == 0

    item = stack.device_item(user_id, apns)
    assert (item["pushconsent"], item["timezone"]) == (False, "Asia/Tokyo")
