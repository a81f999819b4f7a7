"""The console calls the operator routes the CLI calls, signed with SigV4; and previews of unsaved content.

In AWS the console signs with the credentials its Cognito identity pool hands a signed-in user and
API Gateway's IAM authorizer checks them; locally the dev server checks SigV4 made with the local
credentials (access key id ``LOCAL_ACCESS_KEY_ID``, the admin key as secret key) or takes the admin key.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import httpx
import pytest
from botocore.credentials import Credentials

from pushgate_cli.client import SigV4
from pushgate_local.events import http_api_event, iam_authorizer_context
from pushgate_local.runtime import LocalRuntime
from pushgate_local.sigv4 import LOCAL_ACCESS_KEY_ID
from pushgate_local.template import HttpRoute
from tests.e2e.conftest import ADMIN_KEY

pytestmark = pytest.mark.stack


def signed_client(dev_stack: LocalRuntime, secret: str = ADMIN_KEY, region: str | None = None) -> httpx.Client:
    # What the console's played identity pool hands out: the local key id, a session token.
    credentials = Credentials(LOCAL_ACCESS_KEY_ID, secret, token="played-session-token")
    return httpx.Client(
        base_url=dev_stack.api_url, auth=SigV4(credentials, region or dev_stack.config.region), timeout=30
    )


def test_a_sigv4_signed_call_with_the_local_credentials_reaches_the_operator_route(
    dev_stack: LocalRuntime, admin: httpx.Client
) -> None:
    with signed_client(dev_stack) as signed:
        created = signed.post("/admin/v1/orgs", json={"Name": "Signed org"})
        org_id = created.json()["OrgId"]
        read = signed.get(f"/admin/v1/orgs/{org_id}", params={"unused": "it's (1)"})

    assert created.status_code == 201, created.text
    assert read.status_code == 200 and read.json() == admin.get(f"/admin/v1/orgs/{org_id}").json()


def test_a_wrong_or_stale_or_tampered_signature_is_refused_with_what_is_wrong(
    dev_stack: LocalRuntime, org_id: str
) -> None:
    with signed_client(dev_stack, secret="not-the-admin-key") as wrong_secret:
        wrong = wrong_secret.get(f"/admin/v1/orgs/{org_id}")
    with signed_client(dev_stack, region="ap-south-2") as other_region:
        elsewhere = other_region.get(f"/admin/v1/orgs/{org_id}")
    an_hour_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    with mock.patch("botocore.auth.get_current_datetime", return_value=an_hour_ago), signed_client(dev_stack) as old:
        stale = old.get(f"/admin/v1/orgs/{org_id}")
    request = httpx.Request("POST", f"{dev_stack.api_url}/admin/v1/orgs", json={"Name": "A"})
    SigV4(Credentials(LOCAL_ACCESS_KEY_ID, ADMIN_KEY), dev_stack.config.region).sign(request)
    tampered = httpx.post(
        str(request.url), headers=dict(request.headers), content=request.content.replace(b'"A"', b'"B"'), timeout=30
    )

    problems = {
        "wrong": wrong.json()["Error"]["Message"],
        "elsewhere": elsewhere.json()["Error"]["Message"],
        "stale": stale.json()["Error"]["Message"],
        "tampered": tampered.json()["Error"]["Message"],
    }
    # As API Gateway's IAM authorizer answers a refused signature: 403, not the admin key's 401.
    assert {r.status_code for r in (wrong, elsewhere, stale, tampered)} == {403}
    assert {r.json()["Error"]["Code"] for r in (wrong, elsewhere, stale, tampered)} == {"InvalidSignature"}
    assert "signature does not match" in problems["wrong"] and "signature does not match" in problems["tampered"]
    assert f"region {dev_stack.config.region}" in problems["elsewhere"]
    assert "5 minutes" in problems["stale"]
    assert ADMIN_KEY not in json.dumps(problems)


def test_the_console_api_prefix_is_gone_and_the_admin_key_still_works(
    admin: httpx.Client, public: httpx.Client, org_id: str
) -> None:
    assert admin.get(f"/admin/v1/orgs/{org_id}").status_code == 200
    assert admin.get(f"/console-api/admin/v1/orgs/{org_id}").status_code == 404
    refused = public.get(f"/admin/v1/orgs/{org_id}")
    assert refused.status_code == 401 and refused.json()["Error"]["Code"] == "Unauthorized"


@pytest.mark.parametrize(
    "authorizer",
    [
        {"jwt": {"claims": {"sub": "someone", "iss": "https://issuer"}, "scopes": None}},  # a JWT context only
        None,
    ],
)
def test_a_route_whose_authorizer_went_missing_fails_closed(
    dev_stack: LocalRuntime, org_id: str, authorizer: dict[str, object] | None
) -> None:
    # The handler checks the caller again, so a template that lost the IAM authorizer refuses, not serves.
    path = "/admin/v1/orgs/{orgId}"
    event = http_api_event(
        route=HttpRoute(method="GET", path=path, auth="NONE"),
        method="GET",
        raw_path=path.replace("{orgId}", org_id),
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


def test_a_console_user_with_identity_pool_credentials_reads_the_org(dev_stack: LocalRuntime, org_id: str) -> None:
    # What API Gateway's IAM authorizer passes on for the identity pool's role (an assumed-role session).
    path = "/admin/v1/orgs/{orgId}"
    context = iam_authorizer_context("AROAEXAMPLE:CognitoIdentityCredentials")
    context["iam"]["userArn"] = "arn:aws:sts::123456789012:assumed-role/ConsoleOperatorRole/CognitoIdentityCredentials"
    event = http_api_event(
        route=HttpRoute(method="GET", path=path, auth="AWS_IAM"),
        method="GET",
        raw_path=path.replace("{orgId}", org_id),
        raw_query="",
        headers={},
        body=b"",
        path_parameters={"orgId": org_id},
        source_ip="127.0.0.1",
        domain_name="localhost",
        authorizer=context,
    )

    result = dev_stack.invoke("ManageOrgsFunction", event)

    assert result.payload["statusCode"] == 200
    assert json.loads(result.payload["body"])["OrgId"] == org_id


def unsaved_preview(admin: httpx.Client, org_id: str, **body: object) -> httpx.Response:
    return admin.post(f"/admin/v1/orgs/{org_id}/pushmessages/preview", json=body)


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
