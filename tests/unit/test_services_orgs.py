"""The org service with an in-memory repository."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pushgate.errors import InvalidRequestError, NotFoundError
from pushgate.models.org import Org
from pushgate.services.apps import orgs


class InMemoryOrgs:
    def __init__(self) -> None:
        self.items: dict[str, Org] = {}

    def create(self, org: Org) -> None:
        self.items[org.org_id] = org

    def get(self, org_id: str) -> Org | None:
        return self.items.get(org_id)


FIXED_ID = "0b7c6f9e-2f44-4d1e-9a57-3c1e6f1d2a10"
FIXED_NOW = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def test_create_org_stores_with_injected_id_and_clock() -> None:
    repository = InMemoryOrgs()

    org = orgs.create_org("Contoso", orgs=repository, make_id=lambda: FIXED_ID, now=lambda: FIXED_NOW)

    assert org == Org(org_id=FIXED_ID, name="Contoso", created_at=FIXED_NOW)
    assert repository.items == {FIXED_ID: org}


def test_get_org_canonicalises_the_id() -> None:
    repository = InMemoryOrgs()
    stored = orgs.create_org("Contoso", orgs=repository, make_id=lambda: FIXED_ID)

    assert orgs.get_org(FIXED_ID.upper(), orgs=repository) == stored


def test_get_org_rejects_a_malformed_id() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        orgs.get_org("../etc", orgs=InMemoryOrgs())

    assert [(p.field, p.problem) for p in caught.value.problems] == [("OrgId", "must be a UUID")]


def test_get_org_unknown_is_not_found() -> None:
    with pytest.raises(NotFoundError, match=f"org {FIXED_ID} not found"):
        orgs.get_org(FIXED_ID, orgs=InMemoryOrgs())
