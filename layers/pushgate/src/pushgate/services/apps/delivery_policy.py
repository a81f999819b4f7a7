"""An app's delivery policy: its default time zone, quiet hours and frequency caps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pushgate.errors import InvalidRequestError
from pushgate.models.delivery_timing import DeliveryPolicy
from pushgate.observability import logger
from pushgate.services.apps.app_policies import replace_app_policy
from pushgate.services.apps.mobile_apps import MobileAppStores
from pushgate.services.sends.ports import DeliveryPolicies
from pushgate.time_zones import DEFAULT_TIME_ZONE, iana_name


def _now() -> datetime:
    return datetime.now(UTC)


def resolved_default_zone(policy: DeliveryPolicy | None) -> str:
    """The IANA zone the policy's default names."""
    return iana_name(policy.default_time_zone if policy else DEFAULT_TIME_ZONE) or DEFAULT_TIME_ZONE


def set_delivery_policy(
    org_id: str,
    app_id: str,
    policy: DeliveryPolicy,
    *,
    stores: MobileAppStores,
    policies: DeliveryPolicies,
    now: Callable[[], datetime] = _now,
) -> tuple[str, DeliveryPolicy]:
    """Replaces an app's delivery policy; sends accepted from now on follow it.

    Raises:
        InvalidRequestError: ``DefaultTimeZone`` names no zone.
        NotFoundError: No such org, or no such app in it.
    """
    if iana_name(policy.default_time_zone) is None:
        raise InvalidRequestError.for_field(
            "DefaultTimeZone",
            f"'{policy.default_time_zone}' is not an IANA zone (Europe/Paris), a Windows time zone id "
            "(W. Europe Standard Time) or a Dataverse timezonecode (110)",
        )
    app_id, stored = replace_app_policy(org_id, app_id, policy, stores=stores, policies=policies, now=now)
    logger.info(
        "delivery policy changed",
        extra={
            "app_id": app_id,
            "quiet_hours": stored.quiet_hours is not None,
            "frequency_cap": stored.frequency_cap is not None,
            "category_caps": len(stored.category_caps),
        },
    )
    return app_id, stored
