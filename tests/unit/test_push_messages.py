"""Push message use cases with in-memory fakes: versions, lifecycle, rendering, preview, test send."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pushgate.errors import ConflictError, FieldProblem, InvalidRequestError, NotFoundError
from pushgate.models.message_status import MessageStatus
from pushgate.models.message_template import MessageContent, MessageTemplate, MessageVersion
from pushgate.models.mobile_app import MobileApp
from pushgate.models.org import Org
from pushgate.models.payloads import NotificationTooLargeError
from pushgate.models.push import DeliveryOutcome, Platform, PushRequest, Verdict
from pushgate.services.messages import message_previews, push_messages
from pushgate.services.messages.message_previews import PreviewRequest, TestSendRequest
from pushgate.services.messages.message_rendering import CompiledMessage, Recipient
from pushgate.services.messages.ports import DeviceTarget, PersonData
from pushgate.services.messages.push_messages import MessageStores

ORG_ID = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10"
APP_ID = "5d0a3f57-8f0e-4c5e-b1f4-6b1f1c2e9a77"
MESSAGE_ID = "7a4c2e91-3b5d-4f60-8e1a-2c9d0b6f4e35"
NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
APNS_TOKEN = "ab" * 32


class FakeOrgs:
    def create(self, org: Org) -> None:
        raise AssertionError("not used")

    def get(self, org_id: str) -> Org | None:
        return Org(org_id=ORG_ID, name="Contoso", created_at=NOW) if org_id == ORG_ID else None


@dataclass
class FakeMessages:
    current: dict[str, MessageTemplate] = field(default_factory=dict)
    versions: dict[tuple[str, int], MessageVersion] = field(default_factory=dict)

    def _version(self, message: MessageTemplate) -> None:
        key = (message.message_id, message.version)
        assert key not in self.versions
        self.versions[key] = MessageVersion(
            org_id=message.org_id,
            message_id=message.message_id,
            version=message.version,
            content=message.content,
            created_at=message.updated_at,
        )

    def _check(self, message: MessageTemplate, expected_revision: int) -> None:
        stored = self.current.get(message.message_id)
        if stored is None or stored.revision != expected_revision:
            raise ConflictError(message="changed concurrently")

    def create(self, message: MessageTemplate) -> None:
        self.current[message.message_id] = message
        self._version(message)

    def get(self, org_id: str, message_id: str) -> MessageTemplate | None:
        return self.current.get(message_id)

    def status_of(self, org_id: str, message_id: str) -> tuple[MessageStatus, int] | None:
        found = self.current.get(message_id)
        return None if found is None else (found.status, found.version)

    def list_page(self, org_id: str, *, limit: int, next_token: str | None) -> tuple[list[MessageTemplate], None]:
        return list(self.current.values())[:limit], None

    def save_version(self, message: MessageTemplate, *, expected_revision: int) -> None:
        self._check(message, expected_revision)
        self.current[message.message_id] = message
        self._version(message)

    def save_status(self, message: MessageTemplate, *, expected_revision: int) -> None:
        self._check(message, expected_revision)
        self.current[message.message_id] = message

    def delete(self, message: MessageTemplate) -> None:
        self._check(message, message.revision)
        del self.current[message.message_id]
        for key in [k for k in self.versions if k[0] == message.message_id]:
            del self.versions[key]

    def get_version(self, org_id: str, message_id: str, version: int) -> MessageVersion | None:
        return self.versions.get((message_id, version))

    def list_versions(self, org_id: str, message_id: str) -> list[MessageVersion]:
        return sorted((v for k, v in self.versions.items() if k[0] == message_id), key=lambda v: v.version)


def make_app(*, android: bool = True) -> MobileApp:
    check = {"status": "Valid"}
    return MobileApp.model_validate(
        {
            "org_id": ORG_ID,
            "app_id": APP_ID,
            "name": "Contoso",
            "description": "",
            "ios": {
                "metadata": {
                    "auth_mode": "Token",
                    "app_mode": "Sandbox",
                    "bundle_id": "com.contoso.mobile",
                    "team_id": "ABCDE12345",
                    "key_id": "KEY1234567",
                    "public_key_sha256": "00" * 32,
                },
                "secret_id": "arn:ios",
                "check": check,
            },
            "android": {
                "metadata": {
                    "project_id": "contoso",
                    "client_email": "push@contoso.iam.gserviceaccount.com",
                    "private_key_id": None,
                    "token_uri": "https://oauth2.googleapis.com/token",
                    "public_key_sha256": "00" * 32,
                },
                "secret_id": "arn:android",
                "check": check,
            }
            if android
            else None,
            "created_at": NOW,
            "updated_at": NOW,
        }
    )


class FakeApps:
    def __init__(self, app: MobileApp) -> None:
        self.app = app

    def get(self, org_id: str, app_id: str) -> MobileApp | None:
        return self.app if app_id == self.app.app_id else None


@dataclass
class RecordingSender:
    sent: list[tuple[Platform, list[PushRequest]]] = field(default_factory=list)

    def send(self, app: MobileApp, platform: Platform, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        self.sent.append((platform, list(requests)))
        return [DeliveryOutcome(Verdict.DELIVERED, platform, 200, provider_message_id="m-1") for _ in requests]


class Directory:
    def __init__(self, people: dict[str, PersonData]) -> None:
        self.people = people

    def find_person(self, org_id: str, user_id: str) -> PersonData | None:
        return self.people.get(user_id)


class Devices:
    def __init__(self, targets: list[DeviceTarget]) -> None:
        self.targets = targets

    def devices_of(self, org_id: str, app_id: str, user_id: str) -> list[DeviceTarget]:
        return self.targets


@pytest.fixture
def stores() -> MessageStores:
    return MessageStores(orgs=FakeOrgs(), messages=FakeMessages(), apps=FakeApps(make_app()))


def authored(**overrides: Any) -> dict[str, Any]:
    return {
        "Name": "Order shipped",
        "Title": 'Hi {{contact.firstname | default: "there"}}',
        "Body": "Order {{trigger.orderNumber}} {{#if trigger.express}}arrives tomorrow{{else}}is on its way{{/if}}",
        **overrides,
    }


def create(stores: MessageStores, **overrides: Any) -> MessageTemplate:
    return push_messages.create_message(
        ORG_ID, authored(**overrides), stores=stores, now=lambda: NOW, make_id=lambda: MESSAGE_ID
    )


def problems(error: pytest.ExceptionInfo[InvalidRequestError]) -> dict[str, str]:
    return {p.field: p.problem for p in error.value.problems}


# ---------------------------------------------------------------------------------- authoring and versions


def test_a_new_message_is_a_draft_at_version_1(stores: MessageStores) -> None:
    message = create(stores)
    assert (message.status, message.version, message.revision) == (MessageStatus.DRAFT, 1, 1)
    assert [v.version for v in push_messages.list_versions(ORG_ID, MESSAGE_ID, stores=stores)] == [1]


def test_bad_content_names_every_field(stores: MessageStores) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        create(
            stores,
            Title="",
            Body="Hi {{user.name}}",
            OnClick={"Behavior": "OpenUrl", "Url": "http://contoso.com"},
            ImageUrl="http://cdn.contoso.com/a.png",
            Data={"trackingId": "x"},
            Localizations={"pt-BR": {"Title": "Oi", "Body": "{{#if contact.a}}"}},
        )
    found = problems(caught)
    assert found["Title"] == "String should have at least 1 character"
    assert found["Body"] == "at character 5: unknown data source 'user' (known: contact, lead, profile, trigger)"
    assert found["OnClick.Url"].startswith("the http: scheme is not allowed")
    assert found["ImageUrl"] == "must be an https URL (https://host/path)"
    assert found["Data"] == "key 'trackingId' is reserved (Pushgate or FCM writes it)"
    assert found["Localizations.pt-BR.Body"] == "at character 0: this {{#if}} block is never closed with {{/if}}"
    assert stores.messages.get(ORG_ID, MESSAGE_ID) is None


@pytest.mark.parametrize(
    ("localizations", "problem"),
    [
        ({"bad tag": {"Title": "t", "Body": "b"}}, "'bad tag' is not a locale tag such as en, pt-BR or zh-Hant-TW"),
        ({"pt-BR": {"Title": "t", "Body": "b"}, "pt_br": {"Title": "t", "Body": "b"}}, "'pt-BR' appears twice"),
    ],
)
def test_locale_tags_are_checked(stores: MessageStores, localizations: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        create(stores, Localizations=localizations)
    assert problems(caught) == {"Localizations": problem}


def test_locale_tags_are_stored_canonical(stores: MessageStores) -> None:
    message = create(stores, Localizations={"zh_hant_tw": {"Title": "t", "Body": "b"}})
    assert list(message.content.localizations or {}) == ["zh-Hant-TW"]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://contoso.com/orders/{{trigger.orderNumber}}", True),
        ("contoso://orders/{{trigger.orderNumber}}", True),
        ("https://{{trigger.host}}/x", False),
        ("https://contoso.com{{trigger.host}}", False),
        ("https://contoso.com:{{trigger.port}}/x", False),
        ("contoso://{{trigger.screen}}/open", False),
        ("https://contoso.com?{{trigger.query}}", True),
        ("javascript:alert(1)", False),
        ("{{trigger.url}}", False),
        ("data:text/html,hi", False),
    ],
)
def test_on_click_urls_keep_a_literal_scheme_and_host(stores: MessageStores, url: str, accepted: bool) -> None:
    if accepted:
        assert create(stores, OnClick={"Behavior": "OpenUrl", "Url": url}).content.on_click.url == url
    else:
        with pytest.raises(InvalidRequestError) as caught:
            create(stores, OnClick={"Behavior": "OpenUrl", "Url": url})
        assert "OnClick.Url" in problems(caught)


def test_a_message_is_not_saved_already_expired(stores: MessageStores) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        create(stores, ExpiresAt=(NOW - timedelta(seconds=1)).isoformat())
    assert list(problems(caught)) == ["ExpiresAt"]
    create(stores, ExpiresAt=(NOW + timedelta(minutes=5)).isoformat())
    with pytest.raises(InvalidRequestError) as caught:
        push_messages.update_message(
            ORG_ID, MESSAGE_ID, {"ExpiresAt": NOW.isoformat()}, stores=stores, now=lambda: NOW + timedelta(minutes=1)
        )
    assert list(problems(caught)) == ["ExpiresAt"]
    # Once it has expired, other changes are still saved.
    later = push_messages.update_message(
        ORG_ID, MESSAGE_ID, {"Body": "b2"}, stores=stores, now=lambda: NOW + timedelta(hours=1)
    )
    assert later.version == 2


@pytest.mark.parametrize("value", ["60", 60.0, True, " 60 "])
def test_numbers_are_json_integers(stores: MessageStores, value: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        create(stores, TimeToLiveSeconds=value, Ios={"Badge": value})
    assert set(problems(caught)) == {"TimeToLiveSeconds", "Ios.Badge"}
    assert create(stores, TimeToLiveSeconds=0, Ios={"Badge": 0}).content.time_to_live_seconds == 0


def test_a_patch_is_a_new_version_and_the_old_one_is_kept(stores: MessageStores) -> None:
    create(stores, Subtitle="Sub", Ios={"Sound": "default"})
    updated = push_messages.update_message(
        ORG_ID,
        MESSAGE_ID,
        {"Body": "New body", "Subtitle": None, "Ios": {"Badge": 1}},
        stores=stores,
        now=lambda: NOW + timedelta(minutes=1),
    )
    assert (updated.version, updated.revision, updated.status) == (2, 2, MessageStatus.DRAFT)
    assert updated.content.body == "New body"
    assert updated.content.subtitle is None
    assert updated.content.ios is not None
    assert (updated.content.ios.badge, updated.content.ios.sound) == (1, None)
    first = push_messages.get_version(ORG_ID, MESSAGE_ID, 1, stores=stores)
    assert first.content.subtitle == "Sub"
    assert first.content.body.startswith("Order")
    assert push_messages.get_version(ORG_ID, MESSAGE_ID, 2, stores=stores).created_at == NOW + timedelta(minutes=1)
    with pytest.raises(NotFoundError):
        push_messages.get_version(ORG_ID, MESSAGE_ID, 3, stores=stores)


@pytest.mark.parametrize(
    ("changes", "field_path"),
    [({}, "body"), ({"Title": None}, "Title"), ({"Body": "{{trigger}}"}, "Body"), ({"Colour": "red"}, "Colour")],
)
def test_bad_patches_change_nothing(stores: MessageStores, changes: dict[str, Any], field_path: str) -> None:
    create(stores)
    with pytest.raises(InvalidRequestError) as caught:
        push_messages.update_message(ORG_ID, MESSAGE_ID, changes, stores=stores)
    assert field_path in problems(caught)
    assert stores.messages.get(ORG_ID, MESSAGE_ID).version == 1  # type: ignore[union-attr]


def test_unknown_ids_are_404_and_malformed_ids_400(stores: MessageStores) -> None:
    with pytest.raises(NotFoundError):
        push_messages.find_message(ORG_ID, "6f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11", stores=stores)
    with pytest.raises(InvalidRequestError):
        push_messages.find_message(ORG_ID, "nope", stores=stores)


# ---------------------------------------------------------------------------------- lifecycle


def test_lifecycle_transitions(stores: MessageStores) -> None:
    create(stores)
    assert push_messages.sendable_version(ORG_ID, MESSAGE_ID, stores=stores) is None
    with pytest.raises(ConflictError, match="only a Active message can become Inactive"):
        push_messages.deactivate_message(ORG_ID, MESSAGE_ID, stores=stores)
    active = push_messages.activate_message(ORG_ID, MESSAGE_ID, stores=stores)
    assert (active.status, active.version) == (MessageStatus.ACTIVE, 1)
    assert push_messages.sendable_version(ORG_ID, MESSAGE_ID, stores=stores) == 1
    with pytest.raises(ConflictError, match="only a Draft or Inactive message can become Active"):
        push_messages.activate_message(ORG_ID, MESSAGE_ID, stores=stores)
    with pytest.raises(ConflictError, match="deactivate the message before deleting it"):
        push_messages.delete_message(ORG_ID, MESSAGE_ID, stores=stores)
    push_messages.update_message(ORG_ID, MESSAGE_ID, {"Body": "v2"}, stores=stores)
    assert push_messages.sendable_version(ORG_ID, MESSAGE_ID, stores=stores) == 2
    inactive = push_messages.deactivate_message(ORG_ID, MESSAGE_ID, stores=stores)
    assert inactive.status is MessageStatus.INACTIVE
    assert push_messages.sendable_version(ORG_ID, MESSAGE_ID, stores=stores) is None
    assert push_messages.activate_message(ORG_ID, MESSAGE_ID, stores=stores).status is MessageStatus.ACTIVE
    push_messages.deactivate_message(ORG_ID, MESSAGE_ID, stores=stores)
    push_messages.delete_message(ORG_ID, MESSAGE_ID, stores=stores)
    assert stores.messages.get(ORG_ID, MESSAGE_ID) is None
    assert stores.messages.list_versions(ORG_ID, MESSAGE_ID) == []


def test_activation_refuses_a_message_too_large_even_without_data(stores: MessageStores) -> None:
    create(stores, Localizations={"pt": {"Title": "Oi", "Body": "é" * 2100}})
    with pytest.raises(NotificationTooLargeError) as caught:
        push_messages.activate_message(ORG_ID, MESSAGE_ID, stores=stores)
    assert [p.field for p in caught.value.problems] == ["Localizations.pt.Body"]
    assert stores.messages.get(ORG_ID, MESSAGE_ID).status is MessageStatus.DRAFT  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------- rendering


def test_rendering_picks_the_locale_variant_and_fills_data(stores: MessageStores) -> None:
    message = create(
        stores,
        Localizations={"pt-BR": {"Title": "Olá {{contact.firstname}}", "Subtitle": "Pedido", "Body": "Corpo"}},
    )
    compiled = CompiledMessage(message.content)
    brazil = compiled.render(Recipient({"firstname": "Ana"}, "pt_br", {"orderNumber": "A1"}))
    assert (brazil.locale, brazil.title, brazil.subtitle, brazil.body) == ("pt-BR", "Olá Ana", "Pedido", "Corpo")
    portugal = compiled.render(Recipient({}, "pt-PT", {"orderNumber": "A1", "express": True}))
    assert (portugal.locale, portugal.title, portugal.body) == (None, "Hi there", "Order A1 arrives tomorrow")
    assert portugal.missing == ("contact.firstname",)


def test_values_inserted_into_urls_are_percent_encoded(stores: MessageStores) -> None:
    message = create(stores, OnClick={"Behavior": "OpenUrl", "Url": "https://c.test/o/{{trigger.id}}?n=1"})
    rendered = CompiledMessage(message.content).render(Recipient(trigger={"id": "A 1/2?x=&y#z"}))
    assert rendered.url == "https://c.test/o/A%201%2F2%3Fx%3D%26y%23z?n=1"


# ---------------------------------------------------------------------------------- preview


def full_message(stores: MessageStores) -> MessageTemplate:
    return create(
        stores,
        Subtitle="Order {{trigger.orderNumber}}",
        ImageUrl="https://cdn.contoso.com/p.png",
        OnClick={"Behavior": "OpenUrl", "Url": "contoso://orders/{{trigger.orderNumber}}"},
        Data={"orderNumber": "{{trigger.orderNumber}}"},
        Ios={"Sound": "default", "Badge": 2, "ThreadId": "orders", "InterruptionLevel": "time-sensitive"},
        Android={"ChannelId": "orders", "Priority": "Normal", "Notification": True},
        TimeToLiveSeconds=3600,
        CollapseId="order-A1",
    )


def test_preview_payloads_are_byte_exact(stores: MessageStores) -> None:
    full_message(stores)
    preview = message_previews.preview_message(
        ORG_ID,
        MESSAGE_ID,
        PreviewRequest(contact={"firstname": 'Ana "A"'}, trigger={"orderNumber": "A1"}, app_id=APP_ID),
        stores=stores,
        directory=NoDirectory(),
        now=lambda: NOW,
    )
    data = (
        '"data":{"title":"Hi Ana \\"A\\"","body":"Order A1 is on its way","imageUrl":"https://cdn.contoso.com/p.png",'
        '"link":"contoso://orders/A1","originalLink":"contoso://orders/A1",'
        '"trackingId":"00000000-0000-0000-0000-000000000000","orderNumber":"A1"}'
    )
    assert preview.payloads.apns_bytes.decode() == (
        '{"aps":{"alert":{"title":"Hi Ana \\"A\\"","subtitle":"Order A1","body":"Order A1 is on its way"},'
        '"mutable-content":1,"sound":"default","badge":2,"thread-id":"orders","interruption-level":"time-sensitive"},'
        + data
        + "}"
    )
    expires = int(NOW.timestamp()) + 3600
    assert preview.apns_headers == {
        "apns-push-type": "alert",
        "apns-topic": "com.contoso.mobile",
        "apns-priority": "10",
        "apns-expiration": str(expires),
        "apns-collapse-id": "order-A1",
    }
    assert preview.payloads.fcm_bytes.decode() == (
        '{"message":{"token":"<device-token>",'
        + data
        + ',"notification":{"title":"Hi Ana \\"A\\"","body":"Order A1 is on its way",'
        '"image":"https://cdn.contoso.com/p.png"},'
        '"android":{"priority":"NORMAL","ttl":"3600s","collapse_key":"order-A1",'
        '"notification":{"channel_id":"orders","sound":"default"}}}}'
    )
    assert preview.payloads.fcm_message_bytes == len(preview.payloads.fcm_bytes) - len('{"message":}')
    assert json.loads(preview.payloads.apns_bytes) == preview.payloads.apns_payload
    warned = {w.field for w in preview.warnings}
    assert {"ImageUrl", "Status"} <= warned
    assert "MobileAppId" not in warned
    # Clicks are tracked (a send swaps in the tracked redirect), so an OpenUrl message warns of nothing.
    assert "OnClick.Url" not in warned


def test_a_time_to_live_of_0_previews_as_the_providers_do_not_store_values(stores: MessageStores) -> None:
    create(stores, TimeToLiveSeconds=0)
    preview = message_previews.preview_message(
        ORG_ID, MESSAGE_ID, PreviewRequest(app_id=APP_ID), stores=stores, directory=NoDirectory(), now=lambda: NOW
    )
    # "Now or never": not now + 0 (already past), but Apple's 0 and Google's 0s.
    assert preview.apns_headers["apns-expiration"] == "0"
    assert json.loads(preview.payloads.fcm_bytes)["message"]["android"]["ttl"] == "0s"
    assert "TimeToLiveSeconds" not in {w.field for w in preview.warnings}


def test_previews_for_two_people_differ_by_data_and_locale(stores: MessageStores) -> None:
    create(stores, Localizations={"pt-BR": {"Title": "Olá {{contact.firstname}}", "Body": "Pedido a caminho"}})
    directory = Directory({"u-1": PersonData({"firstname": "Ana"}, "pt-BR"), "u-2": PersonData({"firstname": "Bo"})})

    def preview(request: PreviewRequest) -> message_previews.Preview:
        return message_previews.preview_message(
            ORG_ID, MESSAGE_ID, request, stores=stores, directory=directory, now=lambda: NOW
        )

    ana = preview(PreviewRequest(user_id="u-1"))
    bo = preview(PreviewRequest(user_id="u-2", trigger={"orderNumber": "B7"}))
    assert (ana.rendered.locale, ana.rendered.title, ana.rendered.body) == ("pt-BR", "Olá Ana", "Pedido a caminho")
    assert (bo.rendered.locale, bo.rendered.title, bo.rendered.body) == (None, "Hi Bo", "Order B7 is on its way")
    sample_wins = preview(PreviewRequest(user_id="u-1", contact={"firstname": "Maria"}, locale="en"))
    assert (sample_wins.rendered.title, sample_wins.rendered.locale) == ("Hi Maria", None)
    unknown = preview(PreviewRequest(user_id="u-9"))
    assert unknown.rendered.title == "Hi there"
    assert any(w.field == "UserId" for w in unknown.warnings)


def test_custom_attributes_render_by_their_stored_path_and_by_name(stores: MessageStores) -> None:
    create(stores, Title="{{contact.customattributes.tier}}|{{profile.tier}}|{{contact.contactid}}", Body="b")
    stored = PersonData({"contactid": "u-1", "customattributes": {"tier": "gold", "points": 3}})
    directory = Directory({"u-1": stored})

    def title(request: PreviewRequest) -> str:
        preview = message_previews.preview_message(
            ORG_ID, MESSAGE_ID, request, stores=stores, directory=directory, now=lambda: NOW
        )
        return preview.rendered.title

    assert title(PreviewRequest(user_id="u-1")) == "gold|gold|u-1"
    assert title(PreviewRequest(user_id="u-1", contact={"customattributes": {"tier": "red"}})) == "red|red|u-1"
    assert title(PreviewRequest(contact={"customattributes": {"tier": "blue"}})) == "blue|blue|"
    # A directory attribute wins over a custom attribute of the same name.
    assert title(PreviewRequest(contact={"tier": "x", "customattributes": {"tier": "y"}})) == "y|x|"


@pytest.mark.parametrize(
    ("template", "data", "changed"),
    [
        ("https://shop.example{{trigger.p}}", {"p": ".evil.example"}, True),
        ("https://shop.example{{trigger.p}}", {}, False),
        ("https://shop.example:{{trigger.p}}", {"p": "8443"}, True),
        ("https://shop.example/{{trigger.p}}", {"p": ".evil.example"}, False),
        ("contoso:{{#if trigger.p}}//evil{{/if}}", {"p": "1"}, True),
        ("contoso://orders/{{trigger.p}}", {"p": "1"}, False),
    ],
)
def test_a_rendered_url_must_keep_the_templates_literal_origin(
    template: str, data: dict[str, str], changed: bool
) -> None:
    content = MessageContent.model_validate(
        {"Name": "n", "Title": "t", "Body": "b", "OnClick": {"Behavior": "OpenUrl", "Url": template}}
    )
    rendered = CompiledMessage(content).render(Recipient(trigger=data))
    assert (rendered.url_problem is not None) is changed, rendered.url


def test_an_oversized_preview_names_the_field(stores: MessageStores) -> None:
    create(stores, Body="{{trigger.notes}}", Data={"a": "{{trigger.small}}"})
    with pytest.raises(NotificationTooLargeError) as caught:
        message_previews.preview_message(
            ORG_ID,
            MESSAGE_ID,
            PreviewRequest(trigger={"notes": "n" * 4000, "small": "s"}),
            stores=stores,
            directory=NoDirectory(),
        )
    assert [p.field for p in caught.value.problems] == ["Body"]
    assert "the APNs payload is" in caught.value.problems[0].problem
    with pytest.raises(NotificationTooLargeError) as caught_render:
        message_previews.preview_message(
            ORG_ID,
            MESSAGE_ID,
            PreviewRequest(trigger={"notes": "n" * 5000}),
            stores=stores,
            directory=NoDirectory(),
        )
    assert [p.field for p in caught_render.value.problems] == ["Body"]


def test_a_bad_locale_is_named(stores: MessageStores) -> None:
    create(stores)
    with pytest.raises(InvalidRequestError) as caught:
        message_previews.preview_message(
            ORG_ID, MESSAGE_ID, PreviewRequest(locale="not a locale"), stores=stores, directory=NoDirectory()
        )
    assert "Locale" in problems(caught)


class NoDirectory:
    """A directory that knows nobody: previews by ``UserId`` render defaults."""

    def find_person(self, org_id: str, user_id: str) -> PersonData | None:
        """Always ``None``."""
        return None


class NoDeviceStore:
    """A device store that refuses every lookup with a 409."""

    def devices_of(self, org_id: str, app_id: str, user_id: str) -> list[DeviceTarget]:
        """Always refuses.

        Raises:
            ConflictError: Always; the client should send ``DeviceToken`` and ``Platform``.
        """
        problem = "no device store in this test"
        raise ConflictError(message=f"UserId: {problem}", problems=[FieldProblem("UserId", problem)])


# ---------------------------------------------------------------------------------- test send


def send(stores: MessageStores, request: TestSendRequest, **ports: Any) -> message_previews.TestSend:
    return message_previews.send_test_message(
        ORG_ID,
        MESSAGE_ID,
        request,
        stores=stores,
        directory=ports.get("directory", NoDirectory()),
        devices=ports.get("devices", NoDeviceStore()),
        sender=ports.get("sender", RecordingSender()),
        now=lambda: NOW,
        make_send_id=lambda: "testsend-1",
    )


def test_a_test_send_to_a_token_has_an_empty_tracking_id_and_works_on_drafts(stores: MessageStores) -> None:
    create(stores)
    sender = RecordingSender()
    sent = send(stores, TestSendRequest(app_id=APP_ID, device_token=APNS_TOKEN, platform="ios"), sender=sender)
    assert [(r.target.platform, r.outcome.verdict) for r in sent.results] == [(Platform.APNS, Verdict.DELIVERED)]
    [(platform, [request])] = sender.sent
    assert platform is Platform.APNS
    assert (request.device_token, request.send_id, request.message.tracking_id) == (APNS_TOKEN, "testsend-1", "")
    assert request.message.title == "Hi there"


def test_a_test_send_by_user_reaches_every_device_on_its_platform(stores: MessageStores) -> None:
    create(stores)
    sender = RecordingSender()
    devices = Devices([DeviceTarget(Platform.FCM, "fcm-1"), DeviceTarget(Platform.APNS, APNS_TOKEN)])
    directory = Directory({"u-1": PersonData({"firstname": "Ana"})})
    sent = send(
        stores, TestSendRequest(app_id=APP_ID, user_id="u-1"), sender=sender, devices=devices, directory=directory
    )
    assert [r.target.token for r in sent.results] == [APNS_TOKEN, "fcm-1"]
    assert [(p, [r.message.title for r in requests]) for p, requests in sender.sent] == [
        (Platform.APNS, ["Hi Ana"]),
        (Platform.FCM, ["Hi Ana"]),
    ]


@pytest.mark.parametrize(
    ("request_fields", "error", "field_path"),
    [
        ({"user_id": "u-1"}, ConflictError, "UserId"),
        ({"user_id": "u-1", "device_token": APNS_TOKEN}, InvalidRequestError, "UserId"),
        ({}, InvalidRequestError, "DeviceToken"),
        ({"device_token": APNS_TOKEN}, InvalidRequestError, "Platform"),
        ({"device_token": APNS_TOKEN, "platform": "windows"}, InvalidRequestError, "Platform"),
        ({"device_token": "not-hex", "platform": "Ios"}, InvalidRequestError, "DeviceToken"),
        ({"device_token": "a" * 65, "platform": "Ios"}, InvalidRequestError, "DeviceToken"),
        ({"device_token": "has space", "platform": "Android"}, InvalidRequestError, "DeviceToken"),
    ],
)
def test_bad_test_sends_are_refused_by_field(
    stores: MessageStores, request_fields: dict[str, Any], error: type[Exception], field_path: str
) -> None:
    create(stores)
    sender = RecordingSender()
    with pytest.raises(error) as caught:
        send(stores, TestSendRequest(app_id=APP_ID, **request_fields), sender=sender)
    assert field_path in {p.field for p in caught.value.problems}  # type: ignore[attr-defined]
    assert sender.sent == []


def test_an_expired_message_is_not_test_sent(stores: MessageStores) -> None:
    # Saved while its expiry was still ahead; test-sent after it passed.
    push_messages.create_message(
        ORG_ID,
        authored(ExpiresAt="2026-01-01T00:00:00Z"),
        stores=stores,
        now=lambda: datetime(2025, 12, 1, tzinfo=UTC),
        make_id=lambda: MESSAGE_ID,
    )
    with pytest.raises(ConflictError) as caught:
        send(stores, TestSendRequest(app_id=APP_ID, device_token=APNS_TOKEN, platform="Ios"))
    assert [p.field for p in caught.value.problems] == ["ExpiresAt"]


def test_an_unknown_app_is_named(stores: MessageStores) -> None:
    create(stores)
    with pytest.raises(NotFoundError) as caught:
        send(stores, TestSendRequest(app_id=MESSAGE_ID, device_token=APNS_TOKEN, platform="Ios"))
    assert [p.field for p in caught.value.problems] == ["MobileAppId"]
