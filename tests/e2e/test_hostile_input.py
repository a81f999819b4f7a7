"""Bad input from an attacker or a careless client: always a 4xx naming what was wrong, never a 5xx.

Each case is a regression of the hardening issue: deep JSON, an over-long v1 ``userId``, media types
and huge numbers on ``POST /admin/v1/orgs``, percent-encoded path parameters, control characters and
invalid UTF-8, and forged ``$skiptoken`` values. Requests go over HTTP to the dev server.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from pushgate.api.schemas.devices import MAX_USER_ID_LENGTH
from pushgate_local.runtime import LocalRuntime
from tests.e2e.registration_support import RegisteredApp, Table, create_app, wait_until

pytestmark = pytest.mark.stack

#: Far deeper than Python's recursion limit, and small enough for the 16 KiB event routes.
DEEP = "[" * 5_000 + "]" * 5_000
APNS_TOKEN = "ab" * 32


@pytest.fixture(scope="module")
def app(admin: httpx.Client) -> RegisteredApp:
    org = admin.post("/admin/v1/orgs", json={"Name": "Hostile input org"})
    assert org.status_code == 201, org.text
    return create_app(admin, org.json()["OrgId"])


@pytest.fixture(scope="module")
def table(dev_stack: LocalRuntime) -> Table:
    return Table(dev_stack)


def error_fields(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"Error"}, body
    assert set(body["Error"]) == {"Code", "Message", "Details"}, body
    return {detail["Field"]: detail["Problem"] for detail in body["Error"]["Details"]}


def _logged(dev_stack: LocalRuntime, before: dict[Any, int]) -> str:
    text = []
    for path in dev_stack.log_dir.glob("*.log"):
        with path.open("rb") as log:
            log.seek(before.get(path, 0))
            text.append(log.read().decode("utf-8", errors="replace"))
    return "".join(text)


# ------------------------------------------------------------------ item 1: deeply nested JSON


def test_deeply_nested_json_is_a_400_naming_body_on_every_kind_of_route(
    dev_stack: LocalRuntime, admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    before = {path: path.stat().st_size for path in dev_stack.log_dir.glob("*.log")}
    org = app.org_id
    targets = [
        (public, f"/api/v1.0/orgs/{org}/pushdeviceregistration/devices"),
        (public, f"/api/v1.0/orgs/{org}/pushdeviceregistration/devices/batch"),
        (public, f"/api/v1.0/orgs/{org}/pushdeviceregistration/devices/status"),
        (public, f"/api/v1.0/orgs/{org}/pushusermapping/resolve"),
        (public, f"/api/v1.0/orgs/{org}/pushdatareceiver/events"),
        (public, app.v1("someone")),
        (admin, "/admin/v1/orgs"),
        (admin, f"/admin/v1/orgs/{org}/mobileapps"),
        (admin, f"/admin/v1/orgs/{org}/pushmessages"),
        (admin, f"/admin/v1/orgs/{org}/contacts"),
        (admin, f"/admin/v1/orgs/{org}/sends"),
    ]
    for client, path in targets:
        response = client.post(path, content=DEEP, headers={"content-type": "application/json"})

        assert response.status_code == 400, (path, response.text)
        assert list(error_fields(response)) == ["body"], path
    logged = _logged(dev_stack, before)
    assert "RecursionError" not in logged
    assert "Traceback" not in logged


def test_a_body_nested_past_the_limit_is_refused_before_the_model_sees_it(admin: httpx.Client) -> None:
    nested: Any = "x"
    for _ in range(40):
        nested = {"a": nested}

    response = admin.post("/admin/v1/orgs", json={"Name": "Deep", "Extra": nested})

    assert response.status_code == 400
    assert "deeper than" in error_fields(response)["body"]


# ------------------------------------------------------------------ item 2: v1 userId past the key limit


@pytest.mark.parametrize("length", [MAX_USER_ID_LENGTH + 1, 3_000])
def test_v1_user_id_longer_than_v2_allows_is_a_400_naming_it(
    public: httpx.Client, app: RegisteredApp, length: int
) -> None:
    body = {"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": APNS_TOKEN}}

    response = public.post(app.v1("u" * length), json=body)

    assert response.status_code == 400, response.text
    assert list(error_fields(response)) == ["path.userId"]


def test_v1_and_v2_accept_the_same_longest_user_id(public: httpx.Client, app: RegisteredApp, table: Table) -> None:
    user_id = "u" * MAX_USER_ID_LENGTH
    v1 = public.post(app.v1(user_id), json={"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": APNS_TOKEN}})
    v2 = public.post(app.v2, json=app.ios(user_id, "cd" * 32))

    assert (v1.status_code, v2.status_code) == (200, 202)
    assert (
        len(wait_until(lambda: len(table.devices(app, user_id)) == 2 and table.devices(app, user_id), "2 devices")) == 2
    )


# ------------------------------------------------------------------ item 3: media types and numbers, everywhere


@pytest.mark.parametrize("path", ["/admin/v1/orgs", "/admin/v1/orgs/{org}/mobileapps", "/admin/v1/orgs/{org}/sends"])
def test_a_text_plain_body_is_415_on_every_route(admin: httpx.Client, org_id: str, path: str) -> None:
    response = admin.post(
        path.format(org=org_id), content=b'{"Name": "Contoso"}', headers={"content-type": "text/plain"}
    )

    assert response.status_code == 415, response.text
    assert list(error_fields(response)) == ["header.content-type"]
    assert response.json()["Error"]["Code"] == "UnsupportedMediaType"


def test_json_with_a_charset_and_no_content_type_are_both_read(admin: httpx.Client) -> None:
    with_charset = admin.post(
        "/admin/v1/orgs", content=b'{"Name": "A"}', headers={"content-type": "application/json; charset=utf-8"}
    )
    without = admin.post("/admin/v1/orgs", content=b'{"Name": "B"}')

    assert (with_charset.status_code, without.status_code) == (201, 201)
    assert (with_charset.json()["Name"], without.json()["Name"]) == ("A", "B")


@pytest.mark.parametrize(
    "number", ["1" * 5_001, "1e999", "NaN", "-Infinity"], ids=["5001-digits", "overflow", "nan", "infinity"]
)
@pytest.mark.parametrize("path", ["/admin/v1/orgs", "/admin/v1/orgs/{org}/pushmessages"])
def test_numbers_that_cannot_be_stored_are_400_naming_body(
    admin: httpx.Client, org_id: str, path: str, number: str
) -> None:
    content = '{"Name": "n", "TimeToLiveSeconds": ' + number + "}"

    response = admin.post(path.format(org=org_id), content=content, headers={"content-type": "application/json"})

    assert response.status_code == 400, response.text
    assert list(error_fields(response)) == ["body"]


# ------------------------------------------------------------------ item 4: path parameters decoded once


def test_a_percent_encoded_v1_user_id_is_the_same_user_as_the_v2_body_one(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp, table: Table
) -> None:
    # Characters of the directory's id alphabet that a path carries percent-encoded.
    user_id = f"ana+{uuid.uuid4().hex[:8]}@contoso.com"
    encoded = app.v1(quote(user_id, safe=""))
    assert "ana%2B" in encoded and "%40contoso.com" in encoded

    v1 = public.post(encoded, json={"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": APNS_TOKEN}})
    v2 = public.post(app.v2, json=app.ios(user_id, "ef" * 32))

    assert (v1.status_code, v2.status_code) == (200, 202)
    stored = wait_until(lambda: len(table.devices(app, user_id)) == 2 and table.devices(app, user_id), "2 devices")
    assert {device["token"] for device in stored} == {APNS_TOKEN, "ef" * 32}
    listed = admin.get(f"/admin/v1/orgs/{app.org_id}/mobileapps/{app.app_id}/devices/{user_id}")
    assert listed.status_code == 200
    assert len(listed.json()["Devices"]) == 2


# ------------------------------------------------------------------ item 5: control characters and invalid UTF-8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"Name": "Con\x00toso"}, "Name"),
        ({"Name": "Con\r\ntoso"}, "Name"),
        ({"Name": "Con\ttoso"}, "Name"),
        ({"Name": "Con\x7ftoso"}, "Name"),
    ],
    ids=["nul", "crlf", "tab", "del"],
)
def test_control_characters_in_a_name_are_400_naming_it(admin: httpx.Client, body: dict[str, str], field: str) -> None:
    response = admin.post("/admin/v1/orgs", json=body)

    assert response.status_code == 400, response.text
    assert field in error_fields(response)


def test_titles_are_single_lines_and_bodies_may_hold_line_breaks(admin: httpx.Client, org_id: str) -> None:
    path = f"/admin/v1/orgs/{org_id}/pushmessages"
    broken_title = admin.post(path, json={"Name": "m", "Title": "Hi\nthere", "Body": "b"})
    nul_body = admin.post(path, json={"Name": "m", "Title": "Hi", "Body": "b\x00"})
    multiline = admin.post(path, json={"Name": "m", "Title": "Hi", "Subtitle": "s", "Body": "one\ntwo\tcolumns"})

    assert broken_title.status_code == 400 and "Title" in error_fields(broken_title)
    assert nul_body.status_code == 400 and "Body" in error_fields(nul_body)
    assert multiline.status_code == 201, multiline.text
    assert multiline.json()["Body"] == "one\ntwo\tcolumns"


@pytest.mark.parametrize("user_id", ["a\x00b", "a\r\nb", "a\x1bb"], ids=["nul", "crlf", "escape"])
def test_control_characters_in_user_ids_are_400_by_body_and_by_path(
    public: httpx.Client, app: RegisteredApp, table: Table, user_id: str
) -> None:
    v2 = public.post(app.v2, json=app.ios(user_id, APNS_TOKEN))
    v1 = public.post(
        app.v1(quote(user_id, safe="")),
        json={"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": APNS_TOKEN}},
    )

    assert (v2.status_code, v1.status_code) == (400, 400)
    assert list(error_fields(v2)) == ["UserId"]
    assert list(error_fields(v1)) == ["path.userId"]
    assert table.devices(app, user_id) == []


def test_invalid_utf8_is_400_in_a_body_a_json_escape_and_a_path(
    admin: httpx.Client, public: httpx.Client, app: RegisteredApp
) -> None:
    raw_bytes = admin.post(
        "/admin/v1/orgs", content=b'{"Name": "Caf\xe9"}', headers={"content-type": "application/json"}
    )
    lone_surrogate = admin.post(
        "/admin/v1/orgs", content=b'{"Name": "Caf\\ud800"}', headers={"content-type": "application/json"}
    )
    in_path = public.post(
        app.v1("caf%E9"), json={"ApiToken": app.api_token, "ApnsDeviceContract": {"ApnsToken": APNS_TOKEN}}
    )

    assert (raw_bytes.status_code, lone_surrogate.status_code, in_path.status_code) == (400, 400, 400)
    assert list(error_fields(raw_bytes)) == ["body"]
    assert list(error_fields(lone_surrogate)) == ["Name"]
    assert list(error_fields(in_path)) == ["path.userId"]


def test_control_characters_in_nested_fields_and_field_names_are_named(admin: httpx.Client, org_id: str) -> None:
    path = f"/admin/v1/orgs/{org_id}/contacts/{uuid.uuid4()}"
    nul = admin.put(path, json={"firstname": "Ana", "customattributes": {"note": "ok\nfine", "bad": "x\x00"}})
    line_break = admin.put(path, json={"firstname": "Ana\nBel", "customattributes": {"note": "ok\nfine"}})
    key = admin.post("/admin/v1/orgs", json={"Name": "n", "Ex\x00tra": 1})
    free_text = admin.put(path, json={"firstname": "Ana", "customattributes": {"note": "ok\nfine"}})

    assert nul.status_code == 400 and list(error_fields(nul)) == ["customattributes.bad"]
    assert line_break.status_code == 400 and list(error_fields(line_break)) == ["firstname"]
    assert key.status_code == 400 and list(error_fields(key)) == ["body"]
    assert free_text.status_code == 201, free_text.text
    assert free_text.json()["customattributes"] == {"note": "ok\nfine"}


# ------------------------------------------------------------------ item 6: $skiptoken


@pytest.mark.parametrize("token", ["garbage", "0", "p-00", "eyJTZXQiOiJsZWFkIiwiQWZ0ZXIiOiJwLTAwIn0"])
def test_a_skiptoken_this_api_did_not_return_is_a_400_naming_it(admin: httpx.Client, org_id: str, token: str) -> None:
    for number in range(3):
        assert admin.put(f"/admin/v1/orgs/{org_id}/contacts/p-{number:02d}", json={"firstname": "P"}).status_code == 201

    response = admin.get(f"/admin/v1/orgs/{org_id}/contacts", params={"$top": "1", "$skiptoken": token})

    assert response.status_code == 400, response.text
    assert list(error_fields(response)) == ["$skiptoken"]


def test_the_skiptoken_of_a_next_link_continues_the_listing(admin: httpx.Client, org_id: str) -> None:
    for number in range(3):
        assert admin.put(f"/admin/v1/orgs/{org_id}/contacts/p-{number:02d}", json={"firstname": "P"}).status_code == 201

    first = admin.get(f"/admin/v1/orgs/{org_id}/contacts", params={"$top": "2"})
    second = admin.get(first.json()["@odata.nextLink"])

    assert [row["contactid"] for row in first.json()["value"]] == ["p-00", "p-01"]
    assert [row["contactid"] for row in second.json()["value"]] == ["p-02"]
    assert "@odata.nextLink" not in second.json()
