"""The directory, app-user links and the public resolve over HTTP, against DynamoDB Local."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import httpx
import pytest

from pushgate_local.credentials import FcmServiceAccount, generate_fcm_service_account
from pushgate_local.runtime import LocalRuntime

pytestmark = pytest.mark.stack

RESOLVE = "/api/v1.0/orgs/{org}/pushusermapping/resolve"


class Table:
    """Looks behind the API: which items exist for an org."""

    def __init__(self, runtime: LocalRuntime) -> None:
        self.dynamodb = boto3.client("dynamodb", endpoint_url=runtime.dynamodb_url, region_name="us-east-1")
        self.name = runtime.resources.table_names["MainTable"]

    def mentioning(self, org_id: str, person_id: str) -> list[dict[str, Any]]:
        # A scan, for the test only: every item that names the org and the person anywhere.
        items = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.name):
            for item in page["Items"]:
                text = repr(item)
                if org_id in text and person_id in text:
                    items.append(item)
        return items

    def lookups(self, org_id: str) -> list[dict[str, Any]]:
        items = []
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.name):
            items += [i for i in page["Items"] if i["pk"]["S"].startswith(f"LOOKUP#{org_id}#")]
        return items


@pytest.fixture(scope="module")
def table(dev_stack: LocalRuntime) -> Table:
    return Table(dev_stack)


@pytest.fixture(scope="module")
def service_account() -> FcmServiceAccount:
    return generate_fcm_service_account("directory-tests")


def contacts(org_id: str, rest: str = "") -> str:
    return f"/admin/v1/orgs/{org_id}/contacts{rest}"


def put(
    admin: httpx.Client, org_id: str, person_id: str, body: dict[str, Any], kind: str = "contacts"
) -> httpx.Response:
    return admin.put(f"/admin/v1/orgs/{org_id}/{kind}/{person_id}", json=body)


def query(admin: httpx.Client, org_id: str, kind: str = "contacts", **params: str) -> httpx.Response:
    return admin.get(f"/admin/v1/orgs/{org_id}/{kind}", params={f"${k}": v for k, v in params.items()})


def ids(response: httpx.Response, kind: str = "contact") -> list[str]:
    assert response.status_code == 200, response.text
    return [row[f"{kind}id"] for row in response.json()["value"]]


def problems(response: httpx.Response) -> dict[str, str]:
    return {d["Field"]: d["Problem"] for d in response.json()["Error"]["Details"]}


def new_app(admin: httpx.Client, org_id: str, account: FcmServiceAccount) -> tuple[str, str]:
    created = admin.post(
        f"/admin/v1/orgs/{org_id}/mobileapps", json={"Name": "Contoso", "Android": {"ServiceAccountJson": account.info}}
    )
    assert created.status_code == 201, created.text
    app_id = created.json()["MobileAppId"]
    token = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/tokens", json={"Label": "tests"})
    assert token.status_code == 201, token.text
    return app_id, token.json()["ApiToken"]


ANDREW = {
    "firstname": "Andrew",
    "lastname": "Smith",
    "emailaddress1": "Andrew@ContosoLtd.com",
    "mobilephone": "+1 (425) 555-0100",
    "telephone1": "+44 20 7946 0958",
    "address1_city": "Redmond",
    "locale": "en_us",
    "timezone": "America/Los_Angeles",
    "trackingconsent": True,
    "customattributes": {"tier": "gold", "visits": 12, "score": 0.5, "vip": False},
}


# ------------------------------------------------------------------------------------------ upsert


def test_put_creates_then_replaces_and_get_reads_it_back(admin: httpx.Client, org_id: str) -> None:
    person_id = str(uuid.uuid4())

    created = put(admin, org_id, person_id, ANDREW)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["contactid"] == person_id
    assert body["fullname"] == "Andrew Smith"
    assert body["mobilephone"] == "+14255550100"
    assert body["telephone1"] == "+442079460958"
    assert body["emailaddress1"] == "Andrew@ContosoLtd.com"
    assert body["locale"] == "en-US"
    assert body["trackingconsent"] is True
    assert body["pushconsent"] is True
    assert body["customattributes"] == {"tier": "gold", "visits": 12, "score": 0.5, "vip": False}

    # PUT is a full replacement: what is not sent is gone; createdon stays.
    replaced = put(admin, org_id, person_id, {"firstname": "Andy", "emailaddress1": "andy@contosoltd.com"})
    assert replaced.status_code == 200, replaced.text
    got = admin.get(contacts(org_id, f"/{person_id}")).json()
    assert got["firstname"] == "Andy"
    assert got["fullname"] == "Andy"
    assert got["lastname"] is None and got["mobilephone"] is None
    assert got["createdon"] == body["createdon"]
    assert got["modifiedon"] >= body["modifiedon"]

    # The same PUT again changes nothing.
    assert put(admin, org_id, person_id, {"firstname": "Andy", "emailaddress1": "andy@contosoltd.com"}).json() == got


def test_post_creates_with_a_new_uuid_and_patch_changes_only_what_is_sent(admin: httpx.Client, org_id: str) -> None:
    created = admin.post(contacts(org_id), json={"firstname": "Maria", "lastname": "Garcia"})
    assert created.status_code == 201, created.text
    person_id = created.json()["contactid"]
    assert str(uuid.UUID(person_id)) == person_id

    patched = admin.patch(contacts(org_id, f"/{person_id}"), json={"lastname": "Lopez", "mobilephone": "+33612345678"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["fullname"] == "Maria Lopez"
    assert patched.json()["firstname"] == "Maria"
    cleared = admin.patch(contacts(org_id, f"/{person_id}"), json={"mobilephone": None})
    assert cleared.json()["mobilephone"] is None
    assert admin.patch(contacts(org_id, f"/{uuid.uuid4()}"), json={"firstname": "x"}).status_code == 404


def test_a_given_id_that_is_not_a_uuid_is_kept_and_lowercase_uuids_are_canonical(
    admin: httpx.Client, org_id: str
) -> None:
    assert put(admin, org_id, "crm-000123", {"firstname": "Lee"}).status_code == 201
    assert admin.get(contacts(org_id, "/crm-000123")).json()["contactid"] == "crm-000123"
    upper = str(uuid.uuid4()).upper()
    assert put(admin, org_id, upper, {"firstname": "Kim"}).json()["contactid"] == upper.lower()
    assert admin.get(contacts(org_id, f"/{upper.lower()}")).status_code == 200


# ------------------------------------------------------------------------------------------ lookups


def test_lookup_by_email_ignores_case_and_answers_like_dataverse(admin: httpx.Client, org_id: str) -> None:
    person_id = str(uuid.uuid4())
    put(admin, org_id, person_id, ANDREW)
    put(admin, org_id, str(uuid.uuid4()), {"firstname": "Other", "emailaddress1": "other@contosoltd.com"})

    found = query(admin, org_id, filter="emailaddress1 eq 'andrew@CONTOSOLTD.com'", select="fullname,emailaddress1")

    assert found.status_code == 200, found.text
    assert found.json() == {
        "value": [{"contactid": person_id, "fullname": "Andrew Smith", "emailaddress1": "Andrew@ContosoLtd.com"}]
    }
    assert ids(query(admin, org_id, filter="emailaddress1 eq 'nobody@contosoltd.com'")) == []
    # Leads are another collection: the contact is not one.
    assert ids(query(admin, org_id, "leads", filter="emailaddress1 eq 'andrew@contosoltd.com'"), "lead") == []


@pytest.mark.parametrize(
    "written",
    ["+1 (425) 555-0100", "+14255550100", "+1.425.555.0100", "+1 425-555-0100"],
)
def test_lookup_by_phone_matches_whatever_the_format(admin: httpx.Client, org_id: str, written: str) -> None:
    person_id = str(uuid.uuid4())
    assert put(admin, org_id, person_id, {"mobilephone": written}).status_code == 201

    for searched in ("+14255550100", "+1 (425) 555-0100", "+1-425-555-0100"):
        assert ids(query(admin, org_id, filter=f"mobilephone eq '{searched}'")) == [person_id], searched
    assert ids(query(admin, org_id, filter="telephone1 eq '+14255550100'")) == []


def test_and_or_and_parentheses_combine_equalities(admin: httpx.Client, org_id: str) -> None:
    ann, bob, cid = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    put(admin, org_id, ann, {"lastname": "Smith", "emailaddress1": "ann@example.com", "pushconsent": True})
    put(admin, org_id, bob, {"lastname": "Jones", "emailaddress1": "bob@example.com", "pushconsent": False})
    put(admin, org_id, cid, {"lastname": "Smith", "mobilephone": "+14255550111"})

    both = "(emailaddress1 eq 'ann@example.com' or emailaddress1 eq 'bob@example.com')"
    assert ids(query(admin, org_id, filter=both)) == sorted([ann, bob])
    assert ids(query(admin, org_id, filter=f"{both} and lastname eq 'smith'")) == [ann]
    assert ids(query(admin, org_id, filter=f"{both} and pushconsent eq false")) == [bob]
    assert ids(query(admin, org_id, filter="mobilephone eq '+14255550111' or contactid eq '" + ann + "'")) == sorted(
        [ann, cid]
    )
    assert ids(query(admin, org_id, filter="emailaddress1 eq 'ann@example.com' and telephone1 eq null")) == [ann]


def test_a_changed_or_cleared_email_leaves_no_stale_lookup(admin: httpx.Client, org_id: str, table: Table) -> None:
    person_id = str(uuid.uuid4())
    put(admin, org_id, person_id, {"emailaddress1": "old@example.com", "mobilephone": "+14255550122"})

    admin.patch(contacts(org_id, f"/{person_id}"), json={"emailaddress1": "new@example.com"})
    assert ids(query(admin, org_id, filter="emailaddress1 eq 'old@example.com'")) == []
    assert ids(query(admin, org_id, filter="emailaddress1 eq 'new@example.com'")) == [person_id]
    assert len(table.lookups(org_id)) == 2

    admin.patch(contacts(org_id, f"/{person_id}"), json={"emailaddress1": None, "mobilephone": None})
    assert table.lookups(org_id) == []


# ------------------------------------------------------------------------------------------ $filter errors


@pytest.mark.parametrize(
    ("expression", "position"),
    [
        ("emailaddress1 eq 'a@example.com' and", 36),
        ("(emailaddress1 eq 'a@example.com'", 33),
        ("emailaddress1 eq 'a@example.com", 17),
        ("emailaddress1 'a@example.com'", 14),
        ("emailaddress1 eq", 16),
        ("emailaddress1 eq 'a@example.com' xor mobilephone eq '+14255550100'", 33),
        ("emailaddress1 eq 'a@example.com' ; drop", 33),
    ],
)
def test_filter_syntax_errors_are_400_with_the_position(
    admin: httpx.Client, org_id: str, expression: str, position: int
) -> None:
    response = query(admin, org_id, filter=expression)

    assert response.status_code == 400, response.text
    assert f"syntax error at position {position}" in problems(response)["$filter"]


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("emailaddress1 has 'a@example.com'", "operator 'has' (position 14)"),
        ("tolower(emailaddress1) eq 'a@example.com'", "function 'tolower' (position 0)"),
    ],
)
def test_operators_and_functions_outside_the_grammar_are_named(
    admin: httpx.Client, org_id: str, expression: str, named: str
) -> None:
    response = query(admin, org_id, filter=expression)

    assert response.status_code == 400, response.text
    assert named in problems(response)["$filter"]
    assert "not supported" in problems(response)["$filter"]


def test_the_whole_grammar_over_every_attribute_pages_like_a_listing(admin: httpx.Client, org_id: str) -> None:
    people = {
        "ann": {"lastname": "Smith", "address1_city": "Berlin", "customattributes": {"tier": "gold", "orders": 12}},
        "bob": {"lastname": "Jones", "address1_city": "Berlin", "customattributes": {"tier": "silver", "orders": 2}},
        "cid": {"lastname": "Smithers", "address1_city": "Paris", "pushconsent": False},
        "dee": {"lastname": "O'Neil", "address1_city": "berlin", "customattributes": {"tier": "platinum"}},
    }
    for person_id, body in people.items():
        assert put(admin, org_id, person_id, body).status_code == 201

    def found(expression: str, **options: str) -> list[str]:
        return ids(query(admin, org_id, filter=expression, **options))

    assert found("address1_city eq 'BERLIN'") == ["ann", "bob", "dee"]
    assert found("address1_city ne 'Berlin'") == ["cid"]
    assert found("customattributes/orders gt 5") == ["ann"]
    assert found("customattributes/orders le 2 or customattributes/tier eq 'platinum'") == ["bob", "dee"]
    assert found("customattributes/tier in ('gold','platinum') and not lastname eq 'smith'") == ["dee"]
    assert found("startswith(lastname,'smith') and pushconsent eq true") == ["ann"]
    assert found("contains(lastname,'''') or endswith(lastname,'ers')") == ["cid", "dee"]
    assert found("createdon ge 2000-01-01 and createdon lt 2000-01-01T00:00:00Z") == []
    assert found("createdon gt 2000-01-01T00:00:00Z and customattributes/missing eq null") == sorted(people)

    first = query(admin, org_id, filter="address1_city eq 'berlin'", top="2")
    assert ids(first) == ["ann", "bob"]
    link = first.json()["@odata.nextLink"]
    rest = admin.get(link)
    assert ids(rest) == ["dee"] and "@odata.nextLink" not in rest.json()


def test_filters_with_bad_values_and_bad_options_are_refused(admin: httpx.Client, org_id: str) -> None:
    assert "unknown attribute 'shoesize'" in problems(query(admin, org_id, filter="shoesize eq '42'"))["$filter"]
    assert "pushconsent" in problems(query(admin, org_id, filter="pushconsent eq 'yes'"))["$filter"]
    bad_email = query(admin, org_id, filter="emailaddress1 eq 'not-an-email'")
    assert "position 0" in problems(bad_email)["$filter"]
    assert "$orderby" in problems(query(admin, org_id, orderby="lastname"))
    assert "$select" in problems(query(admin, org_id, select="fullname,shoesize"))
    assert "$top" in problems(query(admin, org_id, top="0"))
    assert "$top" in problems(query(admin, org_id, top="1001"))


# ------------------------------------------------------------------------------------------ paging


def test_paging_returns_every_person_once_in_id_order(admin: httpx.Client, org_id: str) -> None:
    created = sorted(f"p-{n:02d}" for n in range(7))
    for person_id in created:
        put(admin, org_id, person_id, {"firstname": person_id})
    put(admin, org_id, "lead-1", {"firstname": "not a contact"}, kind="leads")

    seen: list[str] = []
    response = query(admin, org_id, top="3", select="firstname")
    pages = 0
    while True:
        pages += 1
        seen += ids(response)
        assert all(set(row) == {"contactid", "firstname"} for row in response.json()["value"])
        next_link = response.json().get("@odata.nextLink")
        if next_link is None:
            break
        assert "%24select=firstname" in next_link
        response = admin.get(next_link)

    assert seen == created
    assert pages == 3
    assert "$skiptoken" in problems(query(admin, org_id, skiptoken="bad#token"))


def test_filtered_results_page_too(admin: httpx.Client, org_id: str) -> None:
    sharing = sorted(str(uuid.uuid4()) for _ in range(3))
    for person_id in sharing:
        put(admin, org_id, person_id, {"emailaddress1": "family@example.com"})

    first = query(admin, org_id, filter="emailaddress1 eq 'family@example.com'", top="2")
    assert ids(first) == sharing[:2]
    second = admin.get(first.json()["@odata.nextLink"])
    assert ids(second) == sharing[2:]
    assert "@odata.nextLink" not in second.json()


# ------------------------------------------------------------------------------------------ import


def test_import_stores_good_items_reports_bad_ones_and_is_idempotent(admin: httpx.Client, org_id: str) -> None:
    good_id = str(uuid.uuid4())
    items: list[Any] = [
        {"contactid": good_id, "firstname": "Good", "emailaddress1": "good@example.com"},
        {"firstname": "Bad email", "emailaddress1": "no-at-sign", "mobilephone": "+14255550177"},
        {"firstname": "No id", "mobilephone": "+1 425 555 0188"},
        {"contactid": good_id, "firstname": "Repeated"},
        "not an object",
        {"contactid": "has#hash", "firstname": "Bad id"},
        {"firstname": "Bad zone", "timezone": "Mars/Olympus", "shoesize": 42},
    ]

    response = admin.post(contacts(org_id, "/import"), json={"Items": items})

    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [r["Status"] for r in body["Results"]]
    assert statuses == ["Created", "Failed", "Created", "Failed", "Failed", "Failed", "Failed"]
    assert body["Counts"] == {"Created": 2, "Updated": 0, "Unchanged": 0, "Failed": 5}
    details = [{d["Field"] for d in r["Error"]["Details"]} if r["Error"] else set() for r in body["Results"]]
    assert details[1] == {"Items[1].emailaddress1"}
    assert details[3] == {"Items[3].contactid"}
    assert details[4] == {"Items[4]"}
    assert details[5] == {"Items[5].contactid"}
    assert details[6] == {"Items[6].timezone", "Items[6].shoesize"}
    # Nothing of the bad items was written; the good ones are findable.
    assert ids(query(admin, org_id, filter="mobilephone eq '+14255550177'")) == []
    assert ids(query(admin, org_id, filter="mobilephone eq '+14255550188'")) == [body["Results"][2]["Id"]]
    assert admin.get(contacts(org_id, f"/{good_id}")).json()["firstname"] == "Good"

    # The same import again: the item with an id is unchanged (items without ids get new ones).
    again = admin.post(contacts(org_id, "/import"), json={"Items": items[:1]}).json()
    assert again["Results"][0]["Status"] == "Unchanged"
    changed = admin.post(contacts(org_id, "/import"), json={"Items": [{**items[0], "firstname": "Better"}]}).json()
    assert changed["Results"][0]["Status"] == "Updated"


def test_import_limits(admin: httpx.Client, org_id: str) -> None:
    too_many = admin.post(contacts(org_id, "/import"), json={"Items": [{"firstname": "x"}] * 1001})
    assert too_many.status_code == 400
    assert "at most 1000" in problems(too_many)["Items"]
    assert admin.post(contacts(org_id, "/import"), json={"Items": []}).status_code == 400
    assert admin.post(contacts(org_id, "/import"), json={"Rows": []}).status_code == 400
    assert ids(query(admin, org_id)) == []


def test_import_of_a_thousand_people(admin: httpx.Client, org_id: str) -> None:
    items = [{"contactid": f"bulk-{n:04d}", "emailaddress1": f"bulk{n}@example.com"} for n in range(1000)]

    response = admin.post(contacts(org_id, "/import"), json={"Items": items})

    assert response.status_code == 200, response.text
    assert response.json()["Counts"]["Created"] == 1000
    assert ids(query(admin, org_id, filter="emailaddress1 eq 'BULK999@example.com'")) == ["bulk-0999"]


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emailaddress1": "andrew@"}, "emailaddress1"),
        ({"emailaddress1": "andrew at contoso.com"}, "emailaddress1"),
        ({"mobilephone": "425 555 0100"}, "mobilephone"),
        ({"telephone1": "+1 425 555"}, "telephone1"),
        ({"mobilephone": "+1 not a number"}, "mobilephone"),
        ({"timezone": "Europe/Pariss"}, "timezone"),
        ({"locale": "english"}, "locale"),
        ({"trackingconsent": "yes"}, "trackingconsent"),
        ({"firstname": 42}, "firstname"),
        ({"firstname": "x" * 257}, "firstname"),
        ({"favouritecolour": "blue"}, "favouritecolour"),
        ({"customattributes": {"nested": {"a": 1}}}, "customattributes.nested"),
        ({"customattributes": {"bad name": 1}}, "customattributes.bad name"),
        ({"customattributes": {f"k{n}": n for n in range(51)}}, "customattributes"),
        ({"customattributes": {f"k{n}": "x" * 1000 for n in range(9)}}, "customattributes"),
        ({"contactid": "someone-else"}, "contactid"),
    ],
)
def test_bad_attributes_are_400_naming_the_field_and_nothing_is_written(
    admin: httpx.Client, org_id: str, body: dict[str, Any], field: str
) -> None:
    person_id = str(uuid.uuid4())

    response = put(admin, org_id, person_id, body)

    assert response.status_code == 400, response.text
    assert field in problems(response)
    assert admin.get(contacts(org_id, f"/{person_id}")).status_code == 404


def test_bad_paths_are_4xx(admin: httpx.Client, org_id: str) -> None:
    assert put(admin, org_id, "bad id!", {"firstname": "x"}).status_code == 400
    assert admin.get(f"/admin/v1/orgs/{org_id}/contacts/{'x' * 129}").status_code == 400
    assert admin.get(f"/admin/v1/orgs/{uuid.uuid4()}/contacts").status_code == 404
    assert admin.get("/admin/v1/orgs/not-a-uuid/contacts").status_code == 400
    assert (
        admin.put(contacts(org_id, "/p1"), content=b"[1, 2]", headers={"content-type": "application/json"}).status_code
        == 400
    )
    assert admin.delete(contacts(org_id, "/p1"), params={"erase": "maybe"}).status_code == 400
    assert admin.delete(contacts(org_id, "/never-existed")).status_code == 404


def test_operator_routes_refuse_without_the_admin_key(public: httpx.Client, org_id: str) -> None:
    assert public.get(contacts(org_id)).status_code == 401
    assert public.put(contacts(org_id, "/p1"), json={"firstname": "x"}).status_code == 401


# ------------------------------------------------------------------------------------------ links and resolve


def test_app_user_links_point_an_app_user_at_a_record(
    admin: httpx.Client, org_id: str, service_account: FcmServiceAccount
) -> None:
    app_id, _ = new_app(admin, org_id, service_account)
    contact_id, lead_id = str(uuid.uuid4()), str(uuid.uuid4())
    put(admin, org_id, contact_id, {"firstname": "C"})
    put(admin, org_id, lead_id, {"firstname": "L"}, kind="leads")
    link = f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/users/user-42"

    created = admin.put(link, json={"EntityType": "contact", "EntityId": contact_id})
    assert created.status_code == 201, created.text
    assert created.json()["EntityId"] == contact_id
    assert admin.put(link, json={"EntityType": "contact", "EntityId": contact_id}).status_code == 200
    moved = admin.put(link, json={"EntityType": "lead", "EntityId": lead_id})
    assert moved.status_code == 200
    assert admin.get(link).json()["EntityType"] == "lead"
    assert admin.get(link).json()["CreatedAt"] == created.json()["CreatedAt"]

    assert "EntityType" in problems(admin.put(link, json={"EntityType": "account", "EntityId": contact_id}))
    assert "EntityId" in problems(admin.put(link, json={"EntityType": "profile", "EntityId": contact_id}))
    assert "EntityId" in problems(admin.put(link, json={"EntityType": "contact"}))
    unknown_app = f"/admin/v1/orgs/{org_id}/mobileapps/{uuid.uuid4()}/users/user-42"
    assert admin.put(unknown_app, json={"EntityType": "contact", "EntityId": contact_id}).status_code == 404

    assert admin.delete(link).status_code == 204
    assert admin.get(link).status_code == 404
    assert admin.delete(link).status_code == 404


def test_resolve_finds_the_directory_id_by_email_phone_or_app_user_id(
    admin: httpx.Client, public: httpx.Client, org_id: str, service_account: FcmServiceAccount
) -> None:
    app_id, api_token = new_app(admin, org_id, service_account)
    person_id = str(uuid.uuid4())
    put(admin, org_id, person_id, ANDREW)
    admin.put(
        f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/users/app-user-7",
        json={"EntityType": "contact", "EntityId": person_id},
    )
    url = RESOLVE.format(org=org_id)
    auth = {"MobileAppId": app_id, "ApiToken": api_token}
    expected = {"UserId": person_id, "EntityType": "contact"}

    assert public.post(url, json={**auth, "Email": "ANDREW@contosoltd.com"}).json() == expected
    assert public.post(url, json={**auth, "Phone": "+1 425-555-0100"}).json() == expected
    assert public.post(url, json={**auth, "Phone": "+44 (0)20 7946 0958"}).json() == expected
    assert public.post(url, json={**auth, "AppUserId": "app-user-7"}).json() == expected

    assert public.post(url, json={**auth, "Email": "nobody@contosoltd.com"}).status_code == 404
    assert public.post(url, json={**auth, "AppUserId": "app-user-8"}).status_code == 404
    assert "Email" in problems(public.post(url, json={**auth, "Email": "not-an-email"}))
    assert "Phone" in problems(public.post(url, json={**auth, "Phone": "4255550100"}))
    assert public.post(url, json={**auth, "Email": "a@b.co", "Phone": "+14255550100"}).status_code == 400
    assert public.post(url, json=auth).status_code == 400
    # Change the last character to one it is not (a fixed replacement would be a no-op 1 time in 64).
    tampered = api_token[:-1] + ("B" if api_token.endswith("A") else "A")
    assert public.post(url, json={**auth, "ApiToken": tampered, "Email": "a@b.co"}).status_code == 401
    assert public.post(url, json={**auth, "Email": "a@b.co", "FirstName": "x"}).status_code == 400


def test_resolve_prefers_contacts_and_refuses_ambiguity(
    admin: httpx.Client, public: httpx.Client, org_id: str, service_account: FcmServiceAccount
) -> None:
    app_id, api_token = new_app(admin, org_id, service_account)
    url = RESOLVE.format(org=org_id)
    auth = {"MobileAppId": app_id, "ApiToken": api_token}
    lead_id, contact_id = str(uuid.uuid4()), str(uuid.uuid4())
    put(admin, org_id, lead_id, {"emailaddress1": "shared@example.com"}, kind="leads")
    put(admin, org_id, str(uuid.uuid4()), {"emailaddress1": "shared@example.com"}, kind="profiles")
    assert public.post(url, json={**auth, "Email": "shared@example.com"}).json() == {
        "UserId": lead_id,
        "EntityType": "lead",
    }
    put(admin, org_id, contact_id, {"emailaddress1": "Shared@Example.com"})
    assert public.post(url, json={**auth, "Email": "shared@example.com"}).json()["UserId"] == contact_id

    put(admin, org_id, str(uuid.uuid4()), {"emailaddress1": "shared@example.com"})
    assert public.post(url, json={**auth, "Email": "shared@example.com"}).status_code == 409


def test_resolve_can_be_disabled_per_app(
    admin: httpx.Client, public: httpx.Client, org_id: str, service_account: FcmServiceAccount
) -> None:
    app_id, api_token = new_app(admin, org_id, service_account)
    put(admin, org_id, "p-1", {"emailaddress1": "x@example.com"})
    url = RESOLVE.format(org=org_id)
    body = {"MobileAppId": app_id, "ApiToken": api_token, "Email": "x@example.com"}
    assert public.post(url, json=body).status_code == 200

    assert admin.patch(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}", json={"UserResolveEnabled": False}).is_success
    # The token check caches the app for up to 30 s per execution environment; the dev server
    # may reuse the environment, so a fresh token (a fresh cache entry) shows the new setting.
    fresh = admin.post(f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/tokens", json={}).json()["ApiToken"]
    refused = public.post(url, json={**body, "ApiToken": fresh})
    assert refused.status_code == 403, refused.text


# ------------------------------------------------------------------------------------------ erase


def test_erase_removes_the_record_its_lookups_and_links(
    admin: httpx.Client, public: httpx.Client, org_id: str, table: Table, service_account: FcmServiceAccount
) -> None:
    app_id, api_token = new_app(admin, org_id, service_account)
    person_id = str(uuid.uuid4())
    put(admin, org_id, person_id, ANDREW)
    for app_user in ("u-1", "u-2"):
        admin.put(
            f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/users/{app_user}",
            json={"EntityType": "contact", "EntityId": person_id},
        )
    registered = public.post(
        f"/api/v1.0/orgs/{org_id}/pushchannel/apps/{app_id}/devices/{person_id}",
        json={"FcmDeviceContract": {"FcmToken": f"erase-me-{uuid.uuid4().hex}"}, "ApiToken": api_token},
    )
    assert registered.status_code == 200, registered.text
    bystander = str(uuid.uuid4())
    put(admin, org_id, bystander, {"emailaddress1": "bystander@example.com"})
    # The record, 3 lookups, 2 links with their reverse items, the device and its token-owner item.
    assert len(table.mentioning(org_id, person_id)) == 1 + 3 + 2 * 2 + 2

    erased = admin.delete(contacts(org_id, f"/{person_id}"), params={"erase": "true"})

    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "EntityType": "contact",
        "EntityId": person_id,
        "Removed": {"DirectoryRecord": 1, "LookupEntries": 3, "AppUserLinks": 2, "Devices": 1},
    }
    assert table.mentioning(org_id, person_id) == []
    assert admin.get(contacts(org_id, f"/{person_id}")).status_code == 404
    url = RESOLVE.format(org=org_id)
    auth = {"MobileAppId": app_id, "ApiToken": api_token}
    assert public.post(url, json={**auth, "Email": "andrew@contosoltd.com"}).status_code == 404
    assert public.post(url, json={**auth, "AppUserId": "u-1"}).status_code == 404
    # Erasing again is safe: nothing is left, so 404 (as for an unknown id); the bystander is untouched.
    again = admin.delete(contacts(org_id, f"/{person_id}"), params={"erase": "true"})
    assert again.status_code == 404 and again.json()["Error"]["Code"] == "NotFound"
    assert admin.get(contacts(org_id, f"/{bystander}")).status_code == 200


def test_plain_delete_removes_the_same_and_answers_204(
    admin: httpx.Client, org_id: str, table: Table, service_account: FcmServiceAccount
) -> None:
    app_id, _ = new_app(admin, org_id, service_account)
    put(admin, org_id, "to-delete", {"emailaddress1": "gone@example.com"}, kind="profiles")
    admin.put(
        f"/admin/v1/orgs/{org_id}/mobileapps/{app_id}/users/u-9",
        json={"EntityType": "profile", "EntityId": "to-delete"},
    )

    assert admin.delete(f"/admin/v1/orgs/{org_id}/profiles/to-delete").status_code == 204
    assert table.mentioning(org_id, "to-delete") == []
    assert admin.delete(f"/admin/v1/orgs/{org_id}/profiles/to-delete").status_code == 404


# ------------------------------------------------------------------------------------------ isolation


def test_orgs_never_see_each_others_people_links_or_tokens(
    admin: httpx.Client, public: httpx.Client, service_account: FcmServiceAccount
) -> None:
    org_a = admin.post("/admin/v1/orgs", json={"Name": "A"}).json()["OrgId"]
    org_b = admin.post("/admin/v1/orgs", json={"Name": "B"}).json()["OrgId"]
    app_a, token_a = new_app(admin, org_a, service_account)
    app_b, token_b = new_app(admin, org_b, service_account)
    person_id = str(uuid.uuid4())
    put(admin, org_a, person_id, {"emailaddress1": "only-a@example.com", "mobilephone": "+14255550199"})

    assert admin.get(contacts(org_b, f"/{person_id}")).status_code == 404
    assert ids(query(admin, org_b, filter="emailaddress1 eq 'only-a@example.com'")) == []
    assert ids(query(admin, org_b)) == []
    assert admin.patch(contacts(org_b, f"/{person_id}"), json={"firstname": "x"}).status_code == 404
    assert (
        admin.put(
            f"/admin/v1/orgs/{org_b}/mobileapps/{app_b}/users/u", json={"EntityType": "contact", "EntityId": person_id}
        ).status_code
        == 400
    )
    assert (
        admin.put(
            f"/admin/v1/orgs/{org_b}/mobileapps/{app_a}/users/u", json={"EntityType": "contact", "EntityId": person_id}
        ).status_code
        == 404
    )
    # Org B's app and token find nothing of org A's; org A's token does not open org B.
    body = {"Email": "only-a@example.com"}
    assert (
        public.post(RESOLVE.format(org=org_b), json={"MobileAppId": app_b, "ApiToken": token_b, **body}).status_code
        == 404
    )
    assert (
        public.post(RESOLVE.format(org=org_b), json={"MobileAppId": app_a, "ApiToken": token_a, **body}).status_code
        == 401
    )
    assert (
        public.post(RESOLVE.format(org=org_a), json={"MobileAppId": app_a, "ApiToken": token_a, **body}).status_code
        == 200
    )
    # Erasing the id in org B finds nothing there (404) and touches nothing in org A.
    assert admin.delete(contacts(org_b, f"/{person_id}"), params={"erase": "true"}).status_code == 404
    assert admin.get(contacts(org_a, f"/{person_id}")).status_code == 200
