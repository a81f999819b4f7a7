"""The org and mobile-app stores, as the use cases read them (``OrgRepository``, ``MobileAppRepository``)."""

from __future__ import annotations

from datetime import UTC, datetime

from pushgate.models.mobile_app import MobileApp
from pushgate.models.org import Org

CREATED_AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class FakeOrgs:
    """Orgs that exist: the ids given (a use case under test never creates one)."""

    def __init__(self, *org_ids: str, name: str = "o", created_at: datetime = CREATED_AT) -> None:
        self.org_ids = set(org_ids)
        self.name = name
        self.created_at = created_at

    def get(self, org_id: str) -> Org | None:
        return Org(org_id=org_id, name=self.name, created_at=self.created_at) if org_id in self.org_ids else None

    def create(self, org: Org) -> None:
        raise AssertionError("the use cases under test never create orgs")


class FakeApps:
    """One stored app (or none), whatever ids are asked for; set ``app`` to change it."""

    def __init__(self, app: MobileApp | None) -> None:
        self.app = app

    def get(self, org_id: str, app_id: str) -> MobileApp | None:
        return self.app
