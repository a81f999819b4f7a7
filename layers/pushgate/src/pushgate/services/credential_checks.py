"""The live credential check: ask APNs and FCM whether an app's stored credentials are accepted.

Neither provider has a "check my key" call, so the check sends what is cheapest and harmless:
APNs gets a silent push to a well-formed device token that belongs to nobody, FCM a
``validate_only`` message to a token that belongs to nobody. A provider that rejects the token
has accepted the credentials (it checks them first); one that rejects the credentials answers
with an authentication or configuration reason, which becomes ``Invalid`` with that reason.
An unreachable or throttling provider leaves the platform ``Unchecked``: a check never reports a
``Valid`` it did not see.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pushgate.credentials import (
    AppMode,
    FcmServiceAccountSecret,
    IosCertificateMetadata,
    IosCertificateSecret,
    IosTokenSecret,
    load_ios_secret,
)
from pushgate.errors import DependencyError
from pushgate.models.mobile_app import AndroidPlatform, CheckStatus, CredentialCheck, IosPlatform, MobileApp
from pushgate.providers import (
    ApnsCertificateCredentials,
    ApnsClient,
    ApnsEnvironment,
    ApnsTokenCredentials,
    DeliveryOutcome,
    FcmClient,
    FcmServiceAccount,
    OAuthError,
    ProviderSettings,
    PushRequest,
    Verdict,
)
from pushgate.providers.errors import ProviderCredentialsError
from pushgate.repositories.base import SecretStore

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

    def __init__(
        self,
        *,
        secrets: SecretStore,
        settings: ProviderSettings | None = None,
        now: Callable[[], datetime] = _now,
        timeout_s: float = 10.0,
    ) -> None:
        """Builds the checker.

        Args:
            secrets: Where the app's credentials are.
            settings: Provider endpoints; from the environment when omitted.
            now: Clock for ``CheckedAt``.
            timeout_s: Per-request limit; a check is interactive.
        """
        self._secrets = secrets
        self._settings = settings
        self._now = now
        self._timeout_s = timeout_s

    def check(self, app: MobileApp) -> dict[str, CredentialCheck]:
        """Checks every platform the app has."""
        checks: dict[str, CredentialCheck] = {}
        if app.ios is not None:
            checks["Ios"] = self._check_ios(app.ios)
        if app.android is not None:
            checks["Android"] = self._check_android(app.android)
        return checks

    def _invalid(self, reason: str) -> CredentialCheck:
        return CredentialCheck(status=CheckStatus.INVALID, reason=reason, checked_at=self._now())

    def _check_ios(self, platform: IosPlatform) -> CredentialCheck:
        metadata = platform.metadata
        secret = load_ios_secret(self._secrets.read(platform.secret_id))
        try:
            credentials: ApnsTokenCredentials | ApnsCertificateCredentials
            if isinstance(secret, IosTokenSecret) and not isinstance(metadata, IosCertificateMetadata):
                credentials = ApnsTokenCredentials(
                    key_id=metadata.key_id,
                    team_id=metadata.team_id,
                    signing_key_pem=secret.signing_key_pem.get_secret_value(),
                    bundle_id=metadata.bundle_id,
                )
            elif isinstance(secret, IosCertificateSecret):
                credentials = ApnsCertificateCredentials(
                    p12=secret.p12.get_secret_value(),
                    password=secret.password.get_secret_value(),
                    bundle_id=metadata.bundle_id,
                )
            else:
                raise DependencyError(message="the stored iOS secret does not match its auth mode")
        except ProviderCredentialsError as error:
            return self._invalid(f"the stored credentials cannot be used: {error}")
        environment = ApnsEnvironment.SANDBOX if metadata.app_mode is AppMode.SANDBOX else ApnsEnvironment.PRODUCTION
        client = ApnsClient(
            credentials,
            environment=environment,
            settings=self._settings,
            max_in_flight=1,
            connect_timeout_s=self._timeout_s,
            request_timeout_s=self._timeout_s,
        )
        try:
            outcome = client.send(PushRequest(device_token=APNS_PROBE_TOKEN, send_id=_PROBE_SEND_ID, silent=True))
        finally:
            client.close()
        return _check_from_outcome(outcome, self._now())

    def _check_android(self, platform: AndroidPlatform) -> CredentialCheck:
        secret = FcmServiceAccountSecret.from_secret_string(self._secrets.read(platform.secret_id))
        try:
            account = FcmServiceAccount.from_json(secret.service_account.get_secret_value())
        except ProviderCredentialsError as error:
            return self._invalid(f"the stored service account cannot be used: {error}")
        client = FcmClient(
            account,
            settings=self._settings,
            max_in_flight=1,
            connect_timeout_s=self._timeout_s,
            request_timeout_s=self._timeout_s,
        )
        try:
            client.token_source.access_token()
            outcome = client.send(PushRequest(device_token=FCM_PROBE_TOKEN, send_id=_PROBE_SEND_ID, dry_run=True))
        except OAuthError as error:
            if error.rejected:
                return self._invalid(f"Google rejected the service account: {error}")
            return CredentialCheck(
                status=CheckStatus.UNCHECKED,
                reason=f"Google's token endpoint did not answer ({error}); check again later",
                checked_at=self._now(),
            )
        finally:
            client.close()
        return _check_from_outcome(outcome, self._now())
