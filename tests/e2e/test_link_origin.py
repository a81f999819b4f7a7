"""An on-click URL keeps the scheme, host and port its template names literally, over HTTP: a
placeholder in the authority is refused at save time, and a rendered URL that leaves the template's
origin is never sent (send: the ledger says ``UrlOriginChanged``; test send: 400; preview: a warning),
so ``/l/<trackingId>`` can never redirect to another site."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import httpx
import pytest

from pushgate.adapters.dynamodb.messages import DynamoMessageTemplateRepository
from pushgate.adapters.dynamodb.table import MainTable
from pushgate.models.message_status import MessageStatus
from pushgate.models.message_template import MessageContent, MessageTemplate
from pushgate_local.runtime import LocalRuntime
from tests.conftest import recent_insight_days
from tests.e2e.registration_support import create_app, final_statuses
from tests.e2e.test_sends import ledger, wait_for_completion

pytestmark = pytest.mark.stack

EVIL = {"p": ".evil.example"}


def _fields(response: httpx.Response) -> dict[str, str]:
    return {detail["Field"]: detail["Problem"] for detail in response.json()["Error"]["Details"]}


def _content(url: str) -> dict[str, Any]:
    return {"Name": "Shop", "Title": "Sale", "Body": "Today only", "OnClick": {"Behavior": "OpenUrl", "Url": url}}


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example{{trigger.p}}",
        "https://shop.example:{{trigger.p}}",
        "https://shop.example{{trigger.p}}/sale",
        "https://user{{trigger.p}}@shop.example/",
        "https://shop.example{{#if trigger.p}}.evil.example{{/if}}/",
        "contoso://{{trigger.screen}}/open",
    ],
)
def test_a_placeholder_in_the_host_or_port_is_refused_at_save_time(admin: httpx.Client, org_id: str, url: str) -> None:
    created = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages", json=_content(url))
    assert created.status_code == 400, created.text
    assert "literal" in _fields(created)["OnClick.Url"]

    unsaved = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/preview", json={"Message": _content(url)})
    assert unsaved.status_code == 400, unsaved.text
    assert "Message.OnClick.Url" in _fields(unsaved)

    fine = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages", json=_content("https://shop.example/{{trigger.p}}"))
    assert fine.status_code == 201, fine.text
    patched = admin.patch(
        f"/admin/v1/orgs/{org_id}/pushmessages/{fine.json()['MessageId']}", json={"OnClick": _content(url)["OnClick"]}
    )
    assert patched.status_code == 400, patched.text
    assert "OnClick.Url" in _fields(patched)


def _stored_before_the_rule(dev_stack: LocalRuntime, org_id: str, url: str) -> str:
    """A message saved before save-time checks refused such URLs (written to the table directly)."""
    client = boto3.client("dynamodb", endpoint_url=dev_stack.dynamodb_url, region_name="us-east-1")
    repository = DynamoMessageTemplateRepository(MainTable(client, dev_stack.resources.table_names["MainTable"]))
    now = datetime.now(UTC)
    message_id = str(uuid.uuid4())
    repository.create(
        MessageTemplate(
            org_id=org_id,
            message_id=message_id,
            status=MessageStatus.DRAFT,
            version=1,
            revision=1,
            content=MessageContent.model_validate(_content(url)),
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
    )
    return message_id


def test_a_rendered_url_that_leaves_the_templates_host_is_not_sent_and_the_ledger_says_why(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    assert dev_stack.simulator is not None
    app = create_app(admin, org_id)
    user_id = str(uuid.uuid4())
    assert admin.put(f"/admin/v1/orgs/{org_id}/contacts/{user_id}", json={"trackingconsent": True}).status_code == 201
    token = "0" + uuid.uuid4().hex[1:] + uuid.uuid4().hex
    registered = public.post(app.v2, json=app.ios(user_id, token), headers={"x-ms-track-registration": "true"})
    assert final_statuses(public, app, [registered.json()["RegistrationRequestId"]]) == [{"Status": "Success"}]
    message_id = _stored_before_the_rule(dev_stack, org_id, "https://shop.example{{trigger.p}}")
    url = f"/admin/v1/orgs/{org_id}/pushmessages/{message_id}"
    assert admin.post(f"{url}/activate").status_code == 200

    # The preview says so; the test send refuses; the send records it and sends nothing.
    preview = admin.post(f"{url}/preview", json={"UserId": user_id, "TriggerData": EVIL})
    assert preview.status_code == 200, preview.text
    url_warnings = [w["Warning"] for w in preview.json()["Warnings"] if w["Field"] == "OnClick.Url"]
    assert any("UrlOriginChanged" in warning for warning in url_warnings), url_warnings
    test_send = admin.post(f"{url}/testsend", json={"MobileAppId": app.app_id, "UserId": user_id, "TriggerData": EVIL})
    assert test_send.status_code == 400, test_send.text
    assert "OnClick.Url" in _fields(test_send)

    accepted = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={
            "MobileAppId": app.app_id,
            "MessageId": message_id,
            "Recipients": [{"UserId": user_id, "TriggerData": EVIL}],
        },
    )
    assert accepted.status_code == 202, accepted.text
    send_id = accepted.json()["SendId"]
    totals = wait_for_completion(admin, org_id, send_id)
    assert (totals["Sent"], totals["NotSentReasons"]) == (0, {"UrlOriginChanged": 1})
    [entry] = ledger(admin, org_id, send_id)
    assert (entry["Outcome"], entry["Reason"], entry.get("TrackingId")) == ("NotSent", "UrlOriginChanged", None)
    alerts = [n for n in dev_stack.simulator.notifications(token=token) if n["headers"]["apns-push-type"] == "alert"]
    assert alerts == []
    insights = admin.get(f"/admin/v1/orgs/{org_id}/insights/messages/{message_id}", params=recent_insight_days())
    assert insights.json()["Overall"]["NotSentReasons"] == {"UrlOriginChanged": 1}
    exported = admin.get(
        f"/admin/v1/orgs/{org_id}/insights/messages/{message_id}/interactions", params={"Format": "ndjson"}
    )
    assert exported.status_code == 200, exported.text
    rows = [json.loads(line) for line in exported.text.splitlines()]
    assert [(row["InteractionType"], row["Reason"]) for row in rows] == [("NotSent", "UrlOriginChanged")]

    # Data that keeps the template's host still goes out, its tracked link redirecting to that host.
    harmless = admin.post(
        f"/admin/v1/orgs/{org_id}/sends",
        json={"MobileAppId": app.app_id, "MessageId": message_id, "Recipients": [{"UserId": user_id}]},
    )
    assert wait_for_completion(admin, org_id, harmless.json()["SendId"])["Sent"] == 1
    [sent] = [n for n in dev_stack.simulator.notifications(token=token) if n["headers"]["apns-push-type"] == "alert"]
    tracking_id = sent["payload"]["data"]["trackingId"]
    click = public.get(f"/l/{tracking_id}", headers={"user-agent": "curl/8.5"})
    assert click.status_code == 302
    assert click.headers["location"] == "https://shop.example"
