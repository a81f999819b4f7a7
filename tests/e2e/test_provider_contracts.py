"""Every request the product sends conforms to the providers' own contracts.

The simulator holds each FCM request to Google's discovery document of FCM v1 and each APNs request
to Apple's documented ``aps`` keys and header rules, and lists what breaks them (``/sim/violations``).
This drives every way the product reaches a device over the dev server (device registrations with
their verification push, v1 and v2; credential checks; test sends; sends to recipients with their
directory locale and tracking consent; a broadcast) with messages that use every option, and then
asserts the providers saw no violation from any of it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from pushgate.services.apps.credential_checks import APNS_PROBE_TOKEN, FCM_PROBE_TOKEN
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, Table, create_app, final_statuses, wait_until
from tests.e2e.test_sends import ledger, wait_for_completion

pytestmark = pytest.mark.stack

TRACK = {"x-ms-track-registration": "true"}
#: Who receives: a locale the messages are localized for, one they are not, none; with and without consent.
PEOPLE = (
    {"firstname": "Ana", "locale": "pt-BR", "trackingconsent": True, "address1_city": "Porto"},
    {"firstname": "Jonas", "locale": "de-DE", "trackingconsent": False},
    {"firstname": "Lee", "trackingconsent": True},
)

#: Every option a message has, at once.
EVERYTHING: dict[str, Any] = {
    "Name": "Everything",
    "Title": 'Hi {{contact.firstname | default: "there"}}',
    "Subtitle": "Order {{trigger.order}}",
    "Body": "{{#if contact.address1_city}}On its way to {{contact.address1_city}}{{else}}On its way{{/if}}\nTrack it.",
    "ImageUrl": "https://contoso.com/img/box.png",
    "OnClick": {"Behavior": "OpenUrl", "Url": "https://contoso.com/orders/{{trigger.order}}?utm_source=push"},
    "Data": {"orderNumber": "{{trigger.order}}", "kind": "shipping"},
    "Ios": {
        "Sound": "default",
        "Badge": 7,
        "ThreadId": "orders",
        "InterruptionLevel": "time-sensitive",
        "Category": "ORDER",
    },
    "Android": {"ChannelId": "orders", "Priority": "High", "Notification": True},
    "TimeToLiveSeconds": 3600,
    "CollapseId": "order-status",
    "Localizations": {
        "pt-BR": {"Title": "Olá {{contact.firstname}}", "Subtitle": "Pedido {{trigger.order}}", "Body": "A caminho"},
        "de": {"Title": "Hallo {{contact.firstname}}", "Body": "Unterwegs"},
    },
    "Category": "shipping",
    "TimeSensitive": True,
    "Transactional": True,
}

MESSAGES: list[dict[str, Any]] = [
    EVERYTHING,
    # The fewest options: title and body, a tap opens the app.
    {"Name": "Bare", "Title": "Hello", "Body": "Plain"},
    # The other value of each option.
    {
        "Name": "Others",
        "Title": "Sale",
        "Body": "Ends {{trigger.order}}",
        "ImageUrl": "https://contoso.com/img/sale.png",
        "OnClick": {"Behavior": "OpenUrl", "Url": "contoso://sale/{{trigger.order}}"},
        "Ios": {"Sound": "chime.caf", "Badge": 0, "InterruptionLevel": "passive"},
        "Android": {"Priority": "Normal", "Notification": False},
        "ExpiresAt": (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds"),
    },
    # Notification block without a channel; critical interruption; a lifetime of a minute.
    {
        "Name": "Critical",
        "Title": "Security code",
        "Body": "Code {{trigger.order}}",
        "Ios": {"InterruptionLevel": "critical"},
        "Android": {"Notification": True},
        "TimeToLiveSeconds": 60,
        "Transactional": True,
    },
    # "Now or never".
    {"Name": "Now", "Title": "Doors open", "Body": "Now", "TimeToLiveSeconds": 0},
]


def _token(platform: str) -> str:
    if platform == "ios":
        return "0" + uuid.uuid4().hex[1:] + uuid.uuid4().hex  # never "bad...", a simulator fault prefix
    return f"fcm-{uuid.uuid4().hex}:APA91b{uuid.uuid4().hex}"


def _register_everyone(
    admin: httpx.Client, public: httpx.Client, dev_stack: LocalRuntime, app: RegisteredApp
) -> tuple[list[str], set[str], set[str]]:
    """Directory people with an iOS and an Android device each (v2, tracked), and one more pair over v1.

    Returns:
        The user ids, every device token, and the iOS tokens registered over v2 (verified by a push).
    """
    users, tokens, request_ids = [], set(), []
    for person in PEOPLE:
        user_id = str(uuid.uuid4())
        put = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/{user_id}", json=person)
        assert put.status_code == 201, put.text
        users.append(user_id)
        for platform in ("ios", "android"):
            token = _token(platform)
            tokens.add(token)
            body = app.ios(user_id, token) if platform == "ios" else app.android(user_id, token)
            accepted = public.post(app.v2, json=body, headers=TRACK)
            assert accepted.status_code == 202, accepted.text
            request_ids.append(accepted.json()["RegistrationRequestId"])
    assert {s["Status"] for s in final_statuses(public, app, request_ids)} == {"Success"}
    verified_ios = {token for token in tokens if not token.startswith("fcm-")}

    v1_user, apns, fcm = str(uuid.uuid4()), _token("ios"), _token("android")
    put = admin.put(f"/admin/v1/orgs/{app.org_id}/contacts/{v1_user}", json={"firstname": "Sam"})
    assert put.status_code == 201, put.text
    for contract in ({"ApnsDeviceContract": {"ApnsToken": apns}}, {"FcmDeviceContract": {"FcmToken": fcm}}):
        registered = public.post(app.v1(v1_user), json={**contract, "ApiToken": app.api_token})
        assert registered.status_code == 200, registered.text
    store = Table(dev_stack)
    wait_until(lambda: len(store.devices(app, v1_user)) == 2, "the v1 devices to be stored")
    users.append(v1_user)
    tokens |= {apns, fcm}
    return users, tokens, verified_ios


def _message(admin: httpx.Client, org_id: str, content: dict[str, Any]) -> str:
    created = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages", json=content)
    assert created.status_code == 201, created.text
    message_id = str(created.json()["MessageId"])
    activated = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/activate")
    assert activated.status_code == 200, activated.text
    return message_id


def _send(admin: httpx.Client, org_id: str, body: dict[str, Any]) -> dict[str, Any]:
    accepted = admin.post(f"/admin/v1/orgs/{org_id}/sends", json=body)
    assert accepted.status_code == 202, accepted.text
    return wait_for_completion(admin, org_id, accepted.json()["SendId"])


def test_every_request_the_product_sends_conforms_to_the_providers_contracts(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    simulator = dev_stack.simulator
    assert simulator is not None
    app = create_app(admin, org_id)
    users, tokens, verified_ios = _register_everyone(admin, public, dev_stack, app)

    # The operator's credential check probes both providers.
    checked = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps/{app.app_id}/validate")
    assert checked.status_code == 200, checked.text

    test_tokens = {"ios": _token("ios"), "android": _token("android")}
    sent_per_message: dict[str, int] = {}
    outcomes: set[tuple[str, str | None]] = set()
    for content in MESSAGES:
        message_id = _message(admin, org_id, content)
        for platform, token in test_tokens.items():
            tested = admin.post(
                f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}/testsend",
                json={
                    "MobileAppId": app.app_id,
                    "DeviceToken": token,
                    "Platform": platform.capitalize(),
                    "Locale": "pt-BR",
                    "Contact": {"firstname": "Ana", "address1_city": "Porto"},
                    "TriggerData": {"order": "SO-1"},
                },
            )
            assert tested.status_code == 200, tested.text
        recipients = [{"UserId": user, "TriggerData": {"order": f"SO-{n}"}} for n, user in enumerate(users)]
        totals = _send(admin, org_id, {"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": recipients})
        sent_per_message[content["Name"]] = totals["Sent"]
        outcomes |= {(e["Outcome"], e["Reason"]) for e in ledger(admin, org_id, totals["SendId"])}
    broadcast = _send(
        admin,
        org_id,
        {"MobileAppId": app.app_id, "MessageId": _message(admin, org_id, EVERYTHING), "Audience": "AllActiveDevices"},
    )

    ours = tokens | set(test_tokens.values()) | {APNS_PROBE_TOKEN, FCM_PROBE_TOKEN}
    violations = [v for v in simulator.violations() if v["token"] in ours]
    assert violations == []
    # Every device got every message, the "now or never" one (a TTL of 0) included.
    assert outcomes == {("Sent", None)}
    # Not vacuous: every shape reached the providers.
    devices = 2 * len(users)
    assert sent_per_message == dict.fromkeys(sent_per_message, devices)
    assert broadcast["Sent"] == devices
    received = [n for n in simulator.notifications() if n["token"] in ours]
    by_token: dict[str, list[dict[str, Any]]] = {}
    for notification in received:
        by_token.setdefault(notification["token"], []).append(notification)
    # Each iOS device registered over v2 got its verification push (background, priority 5); every
    # iOS device got each message and the broadcast.
    for token in verified_ios:
        assert [n["headers"]["apns-push-type"] for n in by_token[token]].count("background") == 1
    for token in (t for t in tokens if not t.startswith("fcm-")):
        assert [n["headers"]["apns-push-type"] for n in by_token[token]].count("alert") >= len(MESSAGES)
    assert len(by_token[test_tokens["ios"]]) == len(by_token[test_tokens["android"]]) == len(MESSAGES)
    fcm_payloads = [n["payload"] for n in received if n["platform"] == "android"]
    assert any("notification" in p for p in fcm_payloads)
    assert any(p["android"]["priority"] == "NORMAL" for p in fcm_payloads)
    assert any("ttl" in p["android"] and "collapse_key" in p["android"] for p in fcm_payloads)
