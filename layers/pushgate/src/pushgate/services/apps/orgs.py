"""Creating and finding orgs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pushgate.errors import NotFoundError
from pushgate.ids import new_id, parse_uuid
from pushgate.models.org import Org
from pushgate.services.ports import OrgRepository


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


def list_orgs(*, limit: int, next_token: str | None, orgs: OrgRepository) -> tuple[list[Org], str | None]:
    """One page of the deployment's orgs, oldest first, and the token of the next page.

    Raises:
        InvalidRequestError: ``next_token`` is not one this listing returned.
    """
    return orgs.list_page(limit=limit, next_token=next_token)
