"""Unknown and other orgs' ids on the erase and cleanup-preview routes: a 404, as on every other route,
never a 200 with zeros that reads as "done" (and nothing of the other org touched)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.registration_support import create_app

pytestmark = pytest.mark.stack


def _new_org(admin: httpx.Client, name: str) -> str:
    created = admin.post("/admin/v1/orgs", json={"Name": name})
    assert created.status_code == 201, created.text
    return str(created.json()["OrgId"])


@pytest.mark.parametrize("kind", ["contacts", "leads", "profiles"])
def test_erasing_an_unknown_or_foreign_person_is_404_and_touches_nothing(admin: httpx.Client, kind: str) -> None:
    owner, other = _new_org(admin, "Owner"), _new_org(admin, "Other")
    person_id = str(uuid.uuid4())
    stored = admin.put(f"/admin/v1/orgs/{owner}/{kind}/{person_id}", json={"emailaddress1": "held@example.com"})
    assert stored.status_code == 201, stored.text

    foreign = admin.delete(f"/admin/v1/orgs/{other}/{kind}/{person_id}", params={"erase": "true"})
    unknown = admin.delete(f"/admin/v1/orgs/{owner}/{kind}/{uuid.uuid4()}", params={"erase": "true"})

    for refused in (foreign, unknown):
        assert refused.status_code == 404, refused.text
        assert refused.json()["Error"]["Code"] == "NotFound"
    assert admin.get(f"/admin/v1/orgs/{owner}/{kind}/{person_id}").status_code == 200
    # The owner's erasure still reports what it removed, and a second one finds nothing left.
    erased = admin.delete(f"/admin/v1/orgs/{owner}/{kind}/{person_id}", params={"erase": "true"})
    assert erased.status_code == 200 and erased.json()["Removed"]["DirectoryRecord"] == 1, erased.text
    assert admin.delete(f"/admin/v1/orgs/{owner}/{kind}/{person_id}", params={"erase": "true"}).status_code == 404


def test_a_cleanup_preview_of_an_unknown_or_foreign_app_is_404(admin: httpx.Client) -> None:
    owner, other = _new_org(admin, "Owner"), _new_org(admin, "Other")
    app = create_app(admin, owner)
    path = "/admin/v1/orgs/{org}/cleanup/preview"

    foreign = admin.post(path.format(org=other), json={"AppId": app.app_id})
    unknown = admin.post(path.format(org=owner), json={"AppId": str(uuid.uuid4())})
    own = admin.post(path.format(org=owner), json={"AppId": app.app_id.upper()})  # app ids match in any case
    whole_org = admin.post(path.format(org=other))
    malformed = admin.post(path.format(org=owner), json={"AppId": "not-an-app-id"})

    for refused in (foreign, unknown):
        assert refused.status_code == 404, refused.text
        assert refused.json()["Error"]["Code"] == "NotFound"
    assert own.status_code == 200 and own.json()["DryRun"] is True, own.text
    assert whole_org.status_code == 200, whole_org.text
    assert malformed.status_code == 400 and malformed.json()["Error"]["Details"][0]["Field"] == "AppId", malformed.text
