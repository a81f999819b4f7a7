"""Creating and finding orgs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from pushgate.errors import NotFoundError
from pushgate.ids import new_id, parse_uuid
from pushgate.models.org import Org
from pushgate.services.ports import OrgRepository

ItemT = TypeVar("ItemT")


def create_org(
    name: str,
    *,
    orgs: OrgRepository,
    make_id: Callable[[], str] = new_id,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Org:
    """Creates an org.

    Args:
        name: Display name (already validated at the edge).
        orgs: Where orgs are stored.
        make_id: Id factory; injectable for tests.
        now: Clock; injectable for tests.

    Returns:
        The stored org.
    """
    org = Org(org_id=make_id(), name=name, created_at=now())
    orgs.create(org)
    return org


def get_org(org_id: str, *, orgs: OrgRepository) -> Org:
    """Finds an org that every org-scoped route must check first.

    Args:
        org_id: The id from the path.
        orgs: Where orgs are stored.

    Returns:
        The org.

    Raises:
        InvalidRequestError: The id is not a UUID.
        NotFoundError: No such org.
    """
    canonical_id = parse_uuid(org_id, "OrgId")
    org = orgs.get(canonical_id)
    if org is None:
        raise NotFoundError(message=f"org {canonical_id} not found")
    return org


def find_in_org(
    org_id: str, item_id: str, *, orgs: OrgRepository, get: Callable[[str, str], ItemT | None], what: str, id_field: str
) -> ItemT:
    """Finds an item of an org (an app, a message) with ``get(org_id, item_id)``.

    Args:
        org_id: The org's id from the path.
        item_id: The item's id; ``id_field`` names it when it is not a UUID.
        orgs: Where orgs are stored.
        get: Reads the item of the org, or ``None``.
        what: What the item is, for the 404 (``mobile app``).
        id_field: The field that carried the id (``MobileAppId``).

    Raises:
        InvalidRequestError: An id is not a UUID.
        NotFoundError: No such org, or no such item in it (another org's included).
    """
    org = get_org(org_id, orgs=orgs)
    canonical_id = parse_uuid(item_id, id_field)
    found = get(org.org_id, canonical_id)
    if found is None:
        raise NotFoundError(message=f"{what} {canonical_id} not found in org {org.org_id}")
    return found


def list_orgs(*, limit: int, next_token: str | None, orgs: OrgRepository) -> tuple[list[Org], str | None]:
    """One page of the deployment's orgs, oldest first, and the token of the next page.

    Raises:
        InvalidRequestError: ``next_token`` is not one this listing returned.
    """
    return orgs.list_page(limit=limit, next_token=next_token)
