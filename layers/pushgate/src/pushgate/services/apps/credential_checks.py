"""The live credential check: ask APNs and FCM whether an app's stored credentials are accepted.

Neither provider has a "check my key" call, so the check sends what is cheapest and harmless:
APNs gets the empty verification push (a dry run) to a well-formed device token that belongs to
nobody, FCM a ``validate_only`` message to a token that belongs to nobody. A provider that
rejects the token has accepted the credentials (it checks them first); one that rejects the
credentials answers with an authentication or configuration reason, which becomes ``Invalid``
with that reason.
An unreachable or throttling provider leaves the platform ``Unchecked``: a check never reports a
``Valid`` it did not see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pushgate.models.mobile_app import CheckStatus, CredentialCheck, MobileApp
from pushgate.models.push import DeliveryOutcome, PushRequest, Verdict
from pushgate.providers.ports import OAuthError, ProviderClients, ProviderNotConfiguredError

#: A well-formed APNs device token no device has (APNs checks the provider token before the device token).
APNS_PROBE_TOKEN = "0" * 64
#: An FCM registration token no app instance has.
FCM_PROBE_TOKEN = "pushgate-credential-check-probe"  # noqa: S105 - a device token, not a secret
_PROBE_SEND_ID = "credential-check"


def _now() -> datetime:
    return datetime.now(UTC)


def _check_from_outcome(outcome: DeliveryOutcome, checked_at: datetime) -> CredentialCheck:
    if outcome.verdict is Verdict.CONFIGURATION_ERROR:
        reason = f"{outcome.platform.value.upper()} rejected the credentials: {outcome.reason}"
        if outcome.detail:
            reason = f"{reason} ({outcome.detail})"
        return CredentialCheck(status=CheckStatus.INVALID, reason=reason, checked_at=checked_at)
    if outcome.verdict is Verdict.RETRY:
        reason = f"the provider did not give an answer ({outcome.reason or 'no response'}); check again later"
        return CredentialCheck(status=CheckStatus.UNCHECKED, reason=reason, checked_at=checked_at)
    # Delivered, token invalid or payload error: the provider authenticated us before judging the rest.
    return CredentialCheck(status=CheckStatus.VALID, reason=None, checked_at=checked_at)


class ProviderCredentialChecker:
    """Checks credentials against the real providers (or the simulator, per ``ProviderSettings``)."""

    def __init__(self, *, clients: ProviderClients, now: Callable[[], datetime] = _now) -> None:
        """Builds the checker.

        Args:
            clients: Builds the app's provider clients from its stored secrets (interactive timeouts).
            now: Clock for ``CheckedAt``.
        """
        self._clients = clients
        self._now = now

    def check(self, app: MobileApp) -> dict[str, CredentialCheck]:
        """Checks every platform the app has."""
        checks: dict[str, CredentialCheck] = {}
        if app.ios is not None:
            checks["Ios"] = self._check_ios(app)
        if app.android is not None:
            checks["Android"] = self._check_android(app)
        return checks

    def _invalid(self, reason: str) -> CredentialCheck:
        return CredentialCheck(status=CheckStatus.INVALID, reason=reason, checked_at=self._now())

    def _check_ios(self, app: MobileApp) -> CredentialCheck:
        try:
            client = self._clients.apns_client(app)
        except ProviderNotConfiguredError as error:
            return self._invalid(error.message)
        outcome = client.send(PushRequest(device_token=APNS_PROBE_TOKEN, send_id=_PROBE_SEND_ID, dry_run=True))
        return _check_from_outcome(outcome, self._now())

    def _check_android(self, app: MobileApp) -> CredentialCheck:
        try:
            client = self._clients.fcm_client(app)
            client.token_source.access_token()
        except ProviderNotConfiguredError as error:
            return self._invalid(error.message)
        except OAuthError as error:
            if error.rejected:
                return self._invalid(f"Google rejected the service account: {error}")
            return CredentialCheck(
                status=CheckStatus.UNCHECKED,
                reason=f"Google's token endpoint did not answer ({error}); check again later",
                checked_at=self._now(),
            )
        outcome = client.send(PushRequest(device_token=FCM_PROBE_TOKEN, send_id=_PROBE_SEND_ID, dry_run=True))
        return _check_from_outcome(outcome, self._now())
