"""Push messages over HTTP: authoring, versions, lifecycle, preview payloads and test sends through the simulator."""

from __future__ import annotations

import json
from typing import Any

import boto3
import httpx
import pytest

from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
from pushgate.adapters.dynamodb.mobile_apps import DynamoMobileAppRepository
from pushgate.adapters.dynamodb.orgs import DynamoOrgRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.services.messages import push_messages
from pushgate.services.messages.push_messages import MessageStores
from pushgate_local.credentials import (
    ApnsAuthKey,
    FcmServiceAccount,
    generate_apns_auth_key,
    generate_fcm_service_account,
)
from pushgate_local.runtime import LocalRuntime

pytestmark = pytest.mark.stack

BUNDLE_ID = "com.contoso.messages"
APNS_TOKEN = "5e" * 32
FCM_TOKEN = "fcm-e2e-push-message-token"
ZERO_TRACKING_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def apns_key() -> ApnsAuthKey:
    return generate_apns_auth_key()


@pytest.fixture(scope="module")
def service_account() -> FcmServiceAccount:
    return generate_fcm_service_account("contoso-messages")


@pytest.fixture
def app_id(admin: httpx.Client, org_id: str, apns_key: ApnsAuthKey, service_account: FcmServiceAccount) -> str:
    response = admin.post(
        f"/admin/v1/orgs/{org_id}/mobileapps",
        json={
            "Name": "Contoso",
            "Ios": {
                "AuthMode": "Token",
                "AppMode": "Sandbox",
                "BundleId": BUNDLE_ID,
                "TeamId": apns_key.team_id,
                "KeyId": apns_key.key_id,
                "SigningKey": apns_key.private_key_pem,
            },
            "Android": {"ServiceAccountJson": service_account.info},
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["MobileAppId"])


def repository_table(dev_stack: LocalRuntime) -> MainTable:
    client = boto3.client("dynamodb", endpoint_url=dev_stack.dynamodb_url, region_name="us-east-1")
    return MainTable(client, dev_stack.resources.table_names["MainTable"])


def message_body(**overrides: Any) -> dict[str, Any]:
    return {
        "Name": "Order shipped",
        "Title": 'Hi {{contact.firstname | default: "there"}}',
        "Subtitle": "Order {{trigger.orderNumber}}",
        "Body": "{{#if trigger.express}}Arrives tomorrow{{else if contact.city}}On its way to {{contact.city}}"
        "{{else}}On its way{{/if}}",
        "OnClick": {"Behavior": "OpenUrl", "Url": "https://contoso.com/orders/{{trigger.orderNumber}}"},
        "Data": {"orderNumber": "{{trigger.orderNumber}}"},
        "Ios": {"Sound": "default"},
        "Android": {"ChannelId": "orders"},
        "Localizations": {"pt-BR": {"Title": 'Olá {{contact.firstname | default: "cliente"}}', "Body": "A caminho"}},
        **overrides,
    }


def base(org_id: str) -> str:
    return f"/admin/v1/orgs/{org_id}/pushmessages"


def create(admin: httpx.Client, org_id: str, **overrides: Any) -> dict[str, Any]:
    response = admin.post(base(org_id), json=message_body(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def fields(response: httpx.Response) -> dict[str, str]:
    return {detail["Field"]: detail["Problem"] for detail in response.json()["Error"]["Details"]}


# ---------------------------------------------------------------------------------- CRUD and versions


def test_create_read_list_patch_versions_delete(admin: httpx.Client, org_id: str) -> None:
    created = create(admin, org_id)
    message_id = created["MessageId"]
    assert (created["Status"], created["Version"]) == ("Draft", 1)
    assert created["OnClick"] == message_body()["OnClick"]
    url = f"{base(org_id)}/{message_id}"

    assert admin.get(url).json() == created
    listed = admin.get(base(org_id), params={"Limit": 10}).json()
    assert [m["MessageId"] for m in listed["PushMessages"]] == [message_id]

    patched = admin.patch(url, json={"Body": "Shipped", "Subtitle": None})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["Version"], patched.json()["Body"]) == (2, "Shipped")
    assert "Subtitle" not in patched.json()

    versions = admin.get(f"{url}/versions").json()["Versions"]
    assert [(v["Version"], v["Body"]) for v in versions] == [(1, message_body()["Body"]), (2, "Shipped")]
    assert admin.get(f"{url}/versions/1").json()["Subtitle"] == "Order {{trigger.orderNumber}}"
    assert admin.get(f"{url}/versions/3").status_code == 404

    assert admin.delete(url).status_code == 204
    assert admin.get(url).status_code == 404
    assert admin.get(f"{url}/versions").status_code == 404


def test_lifecycle_is_stored_for_cheap_checks_and_wrong_transitions_are_409(
    admin: httpx.Client, org_id: str, dev_stack: LocalRuntime
) -> None:
    url = f"{base(org_id)}/{create(admin, org_id)['MessageId']}"
    wrong = admin.post(f"{url}/deactivate")
    assert wrong.status_code == 409
    assert fields(wrong) == {"Status": "is Draft; only a Active message can become Inactive"}

    assert admin.post(f"{url}/activate").json()["Status"] == "Active"
    again = admin.post(f"{url}/activate")
    assert again.status_code == 409
    assert "Status" in fields(again)
    refused = admin.delete(url)
    assert refused.status_code == 409
    assert fields(refused) == {"Status": "is Active; deactivate the message before deleting it"}

    dynamodb = boto3.client("dynamodb", endpoint_url=dev_stack.dynamodb_url, region_name="us-east-1")
    key = {"pk": {"S": f"ORG#{org_id}"}, "sk": {"S": f"MSG#{url.rsplit('/', 1)[1]}"}}
    item = dynamodb.get_item(
        TableName=dev_stack.resources.table_names["MainTable"],
        Key=key,
        ProjectionExpression="#s, version",
        ExpressionAttributeNames={"#s": "status"},
    )["Item"]
    assert item == {"status": {"S": "Active"}, "version": {"N": "1"}}

    table = repository_table(dev_stack)
    stores = MessageStores(
        orgs=DynamoOrgRepository(table),
        messages=DynamoMessageTemplateRepository(table),
        apps=DynamoMobileAppRepository(table),
    )
    message_id = url.rsplit("/", 1)[1]
    assert push_messages.sendable_version(org_id, message_id, stores=stores) == 1

    assert admin.post(f"{url}/deactivate").json()["Status"] == "Inactive"
    assert push_messages.sendable_version(org_id, message_id, stores=stores) is None
    assert admin.post(f"{url}/deactivate").status_code == 409
    assert admin.post(f"{url}/activate").json()["Status"] == "Active"
    assert admin.post(f"{url}/deactivate").status_code == 200
    assert admin.delete(url).status_code == 204


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "field_path", "words"),
    [
        ({"Title": None}, "Title", ""),
        ({"Body": ""}, "Body", "at least 1 character"),
        ({"Body": "Hi {{customer.name}}"}, "Body", "at character 5: unknown data source 'customer'"),
        ({"Title": "{{contact.firstname | default there}}"}, "Title", "at character 20"),
        ({"OnClick": {"Behavior": "OpenUrl"}}, "OnClick.Url", "is required"),
        ({"OnClick": {"Behavior": "OpenUrl", "Url": "javascript:alert(1)"}}, "OnClick.Url", "not allowed"),
        ({"ImageUrl": "http://cdn.contoso.com/x.png"}, "ImageUrl", "https"),
        ({"Localizations": {"pt-BR": {"Title": "Oi"}}}, "Localizations.pt-BR.Body", ""),
        ({"TimeToLiveSeconds": 60, "ExpiresAt": "2027-01-01T00:00:00Z"}, "ExpiresAt", "not both"),
        ({"Colour": "red"}, "Colour", ""),
    ],
)
def test_bad_content_is_a_400_naming_the_field(
    admin: httpx.Client, org_id: str, overrides: dict[str, Any], field_path: str, words: str
) -> None:
    body = {k: v for k, v in message_body(**overrides).items() if v is not None}
    response = admin.post(base(org_id), json=body)
    assert response.status_code == 400, response.text
    assert field_path in fields(response)
    assert words in fields(response)[field_path]
    assert admin.get(base(org_id)).json()["PushMessages"] == []


def test_bad_requests_around_messages(admin: httpx.Client, org_id: str) -> None:
    url = f"{base(org_id)}/{create(admin, org_id)['MessageId']}"
    assert (
        admin.post(base(org_id), content=b'{"Name": ', headers={"content-type": "application/json"}).status_code == 400
    )
    assert fields(admin.patch(url, json={"Title": None})) == {"Title": "cannot be null"}
    assert admin.patch(url, json={"Body": "{{#if trigger.a}}x"}).status_code == 400
    assert admin.get(url).json()["Version"] == 1
    assert admin.get(f"{base(org_id)}/not-a-uuid").status_code == 400
    assert admin.get(f"{url}/versions/abc").status_code == 400
    assert fields(admin.post(f"{url}/preview", json={"Locale": "not a locale"})) == {
        "Locale": "is not a locale tag such as en, pt-BR or zh-Hant-TW"
    }
    assert "Surprise" in fields(admin.post(f"{url}/preview", json={"Surprise": 1}))


# ---------------------------------------------------------------------------------- preview


def test_preview_is_byte_exact_per_person_and_locale(admin: httpx.Client, org_id: str, app_id: str) -> None:
    url = f"{base(org_id)}/{create(admin, org_id, TimeToLiveSeconds=600)['MessageId']}"
    ana = admin.post(
        f"{url}/preview",
        json={
            "Contact": {"firstname": "Ana"},
            "TriggerData": {"orderNumber": "A/1"},
            "Locale": "pt_BR",
            "MobileAppId": app_id,
        },
    )
    assert ana.status_code == 200, ana.text
    preview = ana.json()
    assert preview["Locale"] == "pt-BR"
    link = "https://contoso.com/orders/A%2F1"
    assert preview["Apns"]["PayloadJson"] == (
        '{"aps":{"alert":{"title":"Olá Ana","body":"A caminho"},"sound":"default"},'
        '"data":{"title":"Olá Ana","body":"A caminho","imageUrl":null,"link":"'
        + link
        + '","originalLink":"'
        + link
        + '","trackingId":"'
        + ZERO_TRACKING_ID
        + '","orderNumber":"A/1"}}'
    )
    assert preview["Apns"]["SizeBytes"] == len(preview["Apns"]["PayloadJson"].encode())
    assert json.loads(preview["Apns"]["PayloadJson"]) == preview["Apns"]["Payload"]
    headers = preview["Apns"]["Headers"]
    assert headers["apns-topic"] == BUNDLE_ID
    assert (headers["apns-push-type"], headers["apns-priority"]) == ("alert", "10")
    assert int(headers["apns-expiration"]) > 0
    fcm = json.loads(preview["Fcm"]["BodyJson"])
    apns_data = preview["Apns"]["Payload"]["data"]
    assert fcm["message"]["data"] == {key: value for key, value in apns_data.items() if value is not None}
    assert "imageUrl" not in fcm["message"]["data"]
    assert fcm["message"]["android"] == {"priority": "HIGH", "ttl": "600s"}
    assert preview["Fcm"]["MessageSizeBytes"] == len(preview["Fcm"]["BodyJson"].encode()) - len('{"message":}')

    bo = admin.post(f"{url}/preview", json={"Contact": {"city": "Porto"}, "TriggerData": {"orderNumber": "B2"}}).json()
    assert (bo["Locale"], bo["Rendered"]["Title"], bo["Rendered"]["Body"]) == (None, "Hi there", "On its way to Porto")
    warned = {w["Field"] for w in bo["Warnings"]}
    assert {"contact.firstname", "MobileAppId", "Status"} <= warned
    assert "OnClick.Url" not in warned  # clicks are tracked: no "not available yet"

    by_user = admin.post(f"{url}/preview", json={"UserId": "9d3b1c1e-0000-4000-8000-000000000001"}).json()
    assert by_user["Rendered"]["Title"] == "Hi there"
    assert "UserId" in {w["Field"] for w in by_user["Warnings"]}


def test_an_oversized_preview_is_a_400_naming_the_field(admin: httpx.Client, org_id: str) -> None:
    url = f"{base(org_id)}/{create(admin, org_id, Body='{{trigger.notes}}')['MessageId']}"
    response = admin.post(f"{url}/preview", json={"TriggerData": {"notes": "n" * 3900}})
    assert response.status_code == 400
    assert response.json()["Error"]["Code"] == "NotificationTooLarge"
    assert list(fields(response)) == ["Body"]


# ---------------------------------------------------------------------------------- test send


def test_test_send_reaches_the_simulator_with_the_previewed_payload(
    admin: httpx.Client, org_id: str, app_id: str, dev_stack: LocalRuntime
) -> None:
    assert dev_stack.simulator is not None
    url = f"{base(org_id)}/{create(admin, org_id)['MessageId']}"
    sample = {"Contact": {"firstname": "Ana"}, "TriggerData": {"orderNumber": "A1", "express": True}}
    preview = admin.post(f"{url}/preview", json={**sample, "MobileAppId": app_id}).json()

    ios = admin.post(
        f"{url}/testsend", json={"MobileAppId": app_id, "DeviceToken": APNS_TOKEN, "Platform": "Ios", **sample}
    )
    assert ios.status_code == 200, ios.text
    [result] = ios.json()["Results"]
    assert (result["Platform"], result["Verdict"], result["Status"]) == ("Ios", "delivered", 200)
    assert ios.json()["TrackingId"] == ""
    [received] = dev_stack.simulator.notifications(token=APNS_TOKEN)
    expected = preview["Apns"]["Payload"]
    expected["data"]["trackingId"] = ""
    assert received["payload"] == expected
    assert received["environment"] == "sandbox"
    for name in ("apns-push-type", "apns-topic", "apns-priority"):
        assert received["headers"][name] == preview["Apns"]["Headers"][name]

    android = admin.post(
        f"{url}/testsend", json={"MobileAppId": app_id, "DeviceToken": FCM_TOKEN, "Platform": "Android", **sample}
    )
    assert android.status_code == 200, android.text
    assert android.json()["Results"][0]["Verdict"] == "delivered"
    [fcm_received] = dev_stack.simulator.notifications(token=FCM_TOKEN)
    # FCM data values are strings: the keys APNs sends as null are left out.
    assert fcm_received["payload"]["data"] == {k: v for k, v in expected["data"].items() if v is not None}


def test_test_send_refusals(admin: httpx.Client, org_id: str, app_id: str) -> None:
    url = f"{base(org_id)}/{create(admin, org_id)['MessageId']}"
    by_user = admin.post(f"{url}/testsend", json={"MobileAppId": app_id, "UserId": "user-1"})
    assert by_user.status_code == 409
    assert "UserId" in fields(by_user)
    assert "Platform" in fields(admin.post(f"{url}/testsend", json={"MobileAppId": app_id, "DeviceToken": APNS_TOKEN}))
    bad_token = admin.post(f"{url}/testsend", json={"MobileAppId": app_id, "DeviceToken": "zz", "Platform": "Ios"})
    assert "DeviceToken" in fields(bad_token)
    assert "MobileAppId" in fields(admin.post(f"{url}/testsend", json={"DeviceToken": APNS_TOKEN, "Platform": "Ios"}))
    unknown_app = admin.post(
        f"{url}/testsend",
        json={"MobileAppId": "6f1c1c53-4a51-4a8e-9d53-0a5b7a0c2f11", "DeviceToken": APNS_TOKEN, "Platform": "Ios"},
    )
    assert unknown_app.status_code == 404
    assert "MobileAppId" in fields(unknown_app)
