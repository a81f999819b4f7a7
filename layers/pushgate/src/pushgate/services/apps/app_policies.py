"""An app's policies (its delivery policy, its token policy): each kind in its own store, read and
replaced the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from pydantic import BaseModel

from pushgate.services.apps.mobile_apps import MobileAppStores, find_mobile_app

PolicyT = TypeVar("PolicyT", bound=BaseModel)


class AppPolicies(Protocol[PolicyT]):
    """The store of one kind of app policy (``DeliveryPolicies``, ``TokenPolicyStore``)."""

    def get(self, org_id: str, app_id: str) -> PolicyT | None:
        """The policy an operator set for the app, or ``None``."""

    def put(self, org_id: str, app_id: str, policy: PolicyT) -> None:
        """Stores (replaces) the app's policy."""


def read_app_policy(
    org_id: str, app_id: str, *, stores: MobileAppStores, policies: AppPolicies[PolicyT]
) -> tuple[str, PolicyT | None]:
    """An app's policy of one kind (``None``: none was set, the defaults apply).

    Returns:
        The canonical app id and the stored policy.

    Raises:
        NotFoundError: No such org, or no such app in it.
    """
    app = find_mobile_app(org_id, app_id, stores=stores)
    return app.app_id, policies.get(app.org_id, app.app_id)


def replace_app_policy(
    org_id: str,
    app_id: str,
    policy: PolicyT,
    *,
    stores: MobileAppStores,
    policies: AppPolicies[PolicyT],
    now: Callable[[], datetime],
) -> tuple[str, PolicyT]:
    """Stores ``policy`` as the app's, stamped with the time of the change (``updated_at``).

    Returns:
        The canonical app id and the stored policy.

    Raises:
        NotFoundError: No such org, or no such app in it.
    """
    app = find_mobile_app(org_id, app_id, stores=stores)
    stored = policy.model_copy(update={"updated_at": now()})
    policies.put(app.org_id, app.app_id, stored)
    return app.app_id, stored
