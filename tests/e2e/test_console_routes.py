"""The console's routes: every operator route under ``/console-api``, and previews of unsaved content.

In AWS the ``/console-api`` twins sit behind the Cognito JWT authorizer; locally the admin key
stands in for a signed-in console user, as it does for SigV4 on ``/admin``.
"""

from __future__ import annotations

import json

import httpx
import pytest

from pushgate_local.events import http_api_event, iam_authorizer_context, jwt_authorizer_context
from pushgate_local.runtime import LocalRuntime
from pushgate_local.template import HttpRoute

pytestmark = pytest.mark.stack


def test_console_routes_reach_the_same_handlers_with_the_admin_key(admin: httpx.Client, public: httpx.Client) -> None:
    created = admin.post("/console-api/admin/v1/orgs", json={"Name": "Console org"})
    org_id = created.json()["OrgId"]

    assert created.status_code == 201
    assert admin.get(f"/admin/v1/orgs/{org_id}").json()["Name"] == "Console org"
    assert admin.get(f"/console-api/admin/v1/orgs/{org_id}").json() == admin.get(f"/admin/v1/orgs/{org_id}").json()
    refused = public.get(f"/console-api/admin/v1/orgs/{org_id}")
    assert refused.status_code == 401 and refused.json()["Error"]["Code"] == "Unauthorized"


@pytest.mark.parametrize(
    ("path", "authorizer"),
    [
        ("/console-api/admin/v1/orgs/{orgId}", iam_authorizer_context("someone")),  # SigV4 context, console route
        ("/admin/v1/orgs/{orgId}", jwt_authorizer_context("someone", "https://issuer")),  # JWT context, IAM route
        ("/console-api/admin/v1/orgs/{orgId}", None),
    ],
)
def test_a_route_whose_authorizer_went_missing_fails_closed(
    dev_stack: LocalRuntime, org_id: str, path: str, authorizer: dict[str, object] | None
) -> None:
    # The handler checks the caller again, so a template that lost an authorizer refuses, not serves.
    raw_path = path.replace("{orgId}", org_id)
    event = http_api_event(
        route=HttpRoute(method="GET", path=path, auth="NONE"),
        method="GET",
        raw_path=raw_path,
        raw_query="",
        headers={},
        body=b"",
        path_parameters={"orgId": org_id},
        source_ip="127.0.0.1",
        domain_name="localhost",
        authorizer=authorizer,
    )

    result = dev_stack.invoke("ManageOrgsFunction", event)

    assert result.ok
    assert result.payload["statusCode"] == 401
    assert json.loads(result.payload["body"])["Error"]["Code"] == "Unauthorized"


def test_a_signed_in_console_user_reads_the_org(dev_stack: LocalRuntime, org_id: str) -> None:
    path = "/console-api/admin/v1/orgs/{orgId}"
    event = http_api_event(
        route=HttpRoute(method="GET", path=path, auth="ConsoleJwt"),
        method="GET",
        raw_path=path.replace("{orgId}", org_id),
        raw_query="",
        headers={},
        body=b"",
        path_parameters={"orgId": org_id},
        source_ip="127.0.0.1",
        domain_name="localhost",
        authorizer=jwt_authorizer_context("operator-sub", "https://cognito-idp.example/pool"),
    )

    result = dev_stack.invoke("ManageOrgsFunction", event)

    assert result.payload["statusCode"] == 200
    assert json.loads(result.payload["body"])["OrgId"] == org_id


def unsaved_preview(admin: httpx.Client, org_id: str, **body: object) -> httpx.Response:
    return admin.post(f"/console-api/admin/v1/orgs/{org_id}/pushmessages/preview", json=body)


def test_unsaved_content_previews_like_a_saved_message_and_saves_nothing(admin: httpx.Client, org_id: str) -> None:
    message = {
        "Name": "Draft",
        "Title": 'Hi {{contact.firstname | default: "there"}}',
        "Body": "Welcome",
        "Localizations": {"pt-BR": {"Title": "Olá {{contact.firstname}}", "Body": "Bem-vindo"}},
    }
    saved = admin.post(f"/admin/v1/orgs/{org_id}/pushmessages", json=message).json()
    saved_preview = admin.post(
        f"/admin/v1/orgs/{org_id}/pushmessages/{saved['MessageId']}/preview", json={"Contact": {"firstname": "Ana"}}
    ).json()

    unsaved = unsaved_preview(admin, org_id, Message=message, Contact={"firstname": "Ana"}).json()
    localized = unsaved_preview(admin, org_id, Message=message, Contact={"firstname": "Ana"}, Locale="pt-BR").json()
    nameless = unsaved_preview(admin, org_id, Message={"Title": "T", "Body": "B"})

    assert unsaved["Apns"]["PayloadJson"] == saved_preview["Apns"]["PayloadJson"]
    assert unsaved["Fcm"]["BodyJson"] == saved_preview["Fcm"]["BodyJson"]
    assert (unsaved["MessageId"], unsaved["Version"], unsaved["Status"]) == (None, None, None)
    assert "Status" not in {w["Field"] for w in unsaved["Warnings"]}  # nothing to activate yet
    assert localized["Apns"]["Payload"]["aps"]["alert"] == {"title": "Olá Ana", "body": "Bem-vindo"}
    assert nameless.status_code == 200
    listed = admin.get(f"/admin/v1/orgs/{org_id}/pushmessages").json()["PushMessages"]
    assert [m["MessageId"] for m in listed] == [saved["MessageId"]]  # the previews saved nothing
    assert (
        admin.get(f"/admin/v1/orgs/{org_id}/pushmessages/{saved['MessageId']}/versions").json()["Versions"][-1][
            "Version"
        ]
        == 1
    )


def test_unsaved_content_problems_are_400s_naming_the_field_under_message(admin: httpx.Client, org_id: str) -> None:
    bad_template = unsaved_preview(admin, org_id, Message={"Title": "Hi {{contact.firstname", "Body": "B"})
    no_body = unsaved_preview(admin, org_id, Message={"Title": "T"})
    missing = unsaved_preview(admin, org_id)
    too_large = unsaved_preview(
        admin, org_id, Message={"Title": "T", "Body": "{{trigger.notes}}"}, TriggerData={"notes": "n" * 3900}
    )
    unknown_org = unsaved_preview(admin, "00000000-0000-4000-8000-000000000000", Message={"Title": "T", "Body": "B"})

    assert bad_template.status_code == 400
    assert [d["Field"] for d in bad_template.json()["Error"]["Details"]] == ["Message.Title"]
    assert "at character" in bad_template.json()["Error"]["Details"][0]["Problem"]
    assert [d["Field"] for d in no_body.json()["Error"]["Details"]] == ["Message.Body"]
    assert missing.status_code == 400 and [d["Field"] for d in missing.json()["Error"]["Details"]] == ["Message"]
    assert too_large.status_code == 400 and too_large.json()["Error"]["Code"] == "NotificationTooLarge"
    assert unknown_org.status_code == 404
