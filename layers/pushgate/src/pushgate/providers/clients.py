"""Provider clients per app, built from the app's secrets and kept for the execution environment.

Building a client costs a secret read, key parsing and a TLS handshake on first use, so each
execution environment keeps one ``ApnsClient`` and one ``FcmClient`` per app and reuses them across
invocations (the delivery worker and the registration worker share this factory). A secret id
changes whenever a credential changes, so a client cached under its secret id (and the app mode)
can never hold stale credentials; a client whose app moved on to a new secret is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pushgate.config import provider_settings
from pushgate.credentials.inputs import AppMode
from pushgate.credentials.metadata import IosCertificateMetadata
from pushgate.credentials.secret_models import (
    FcmServiceAccountSecret,
    IosCertificateSecret,
    IosTokenSecret,
    load_ios_secret,
)
from pushgate.models.mobile_app import MobileApp
from pushgate.providers.errors import ProviderCredentialsError
from pushgate.providers.ports import ProviderNotConfiguredError

if TYPE_CHECKING:
    from pushgate.config import ProviderSettings
    from pushgate.providers.apns import ApnsCertificateCredentials, ApnsClient, ApnsTokenCredentials
    from pushgate.providers.fcm import FcmClient

#: Secrets are re-read at most this often (a new credential arrives under a new secret id anyway).
SECRET_MAX_AGE_SECONDS = 300


class _Closable(Protocol):
    def close(self) -> None: ...


VersionT = TypeVar("VersionT")
ClientT = TypeVar("ClientT", bound=_Closable)


class SecretReader(Protocol):
    """Where the apps' credentials are (the secret store the composition root passes)."""

    def read(self, secret_id: str, *, max_age_seconds: int = 0) -> str:
        """The secret's value (cached up to ``max_age_seconds``)."""


class ProviderClientFactory:
    """Builds and caches provider clients per app (thread-safe).

    Args:
        secrets: Where the apps' credentials are.
        settings: Provider endpoints; from the environment when omitted.
        apns_options: Extra keyword arguments for every ``ApnsClient`` (timeouts, in-flight limits).
        fcm_options: Extra keyword arguments for every ``FcmClient``.
        apns_factory: Builds an APNs client (tests pass fakes); ``ApnsClient`` when omitted.
        fcm_factory: Builds an FCM client (tests pass fakes); ``FcmClient`` when omitted.

    Each platform's client module is imported with its first client: an APNs-only delivery does not
    load httpx and the FCM OAuth code, an FCM-only one not the APNs certificate handling.
    """

    def __init__(
        self,
        *,
        secrets: SecretReader,
        settings: ProviderSettings | None = None,
        apns_options: dict[str, Any] | None = None,
        fcm_options: dict[str, Any] | None = None,
        apns_factory: Callable[..., ApnsClient] | None = None,
        fcm_factory: Callable[..., FcmClient] | None = None,
    ) -> None:
        self._secrets = secrets
        self._settings = settings
        self._apns_options = apns_options or {}
        self._fcm_options = fcm_options or {}
        self._apns_factory = apns_factory
        self._fcm_factory = fcm_factory
        self._lock = threading.Lock()
        self._apns: dict[tuple[str, str], tuple[tuple[str, str], ApnsClient]] = {}
        self._fcm: dict[tuple[str, str], tuple[str, FcmClient]] = {}

    def _provider_settings(self) -> ProviderSettings:
        if self._settings is None:
            self._settings = provider_settings()
        return self._settings

    def apns_client(self, app: MobileApp) -> ApnsClient:
        """The APNs client of an app, in the environment its ``AppMode`` names.

        Raises:
            ProviderNotConfiguredError: The app has no iOS credentials, or they cannot be used.
            DependencyError: The secret store did not answer.
        """
        ios = app.ios
        if ios is None:
            raise ProviderNotConfiguredError(message=f"mobile app {app.app_id} has no iOS (APNs) configuration")
        return self._cached(self._apns, app, (ios.secret_id, ios.metadata.app_mode.value), self._build_apns)

    def fcm_client(self, app: MobileApp) -> FcmClient:
        """The FCM client of an app.

        Raises:
            ProviderNotConfiguredError: The app has no Android credentials, or they cannot be used.
            DependencyError: The secret store did not answer.
        """
        android = app.android
        if android is None:
            raise ProviderNotConfiguredError(message=f"mobile app {app.app_id} has no Android (FCM) configuration")
        return self._cached(self._fcm, app, android.secret_id, self._build_fcm)

    def _cached(
        self,
        cache: dict[tuple[str, str], tuple[VersionT, ClientT]],
        app: MobileApp,
        version: VersionT,
        build: Callable[[MobileApp], ClientT],
    ) -> ClientT:
        # The app's client if it was built for this version of its credentials, else a new one; the
        # client it replaces is closed outside the lock.
        app_key = (app.org_id, app.app_id)
        with self._lock:
            cached = cache.get(app_key)
            if cached is not None and cached[0] == version:
                return cached[1]
            client = build(app)
            cache[app_key] = (version, client)
        if cached is not None:
            cached[1].close()
        return client

    def _build_fcm(self, app: MobileApp) -> FcmClient:
        from pushgate.providers.fcm import FcmClient, FcmServiceAccount  # noqa: PLC0415 - on first use, see the class

        android = app.android
        if android is None:
            raise ProviderNotConfiguredError(message=f"mobile app {app.app_id} has no Android (FCM) configuration")
        secret = FcmServiceAccountSecret.from_secret_string(
            self._secrets.read(android.secret_id, max_age_seconds=SECRET_MAX_AGE_SECONDS)
        )
        try:
            account = FcmServiceAccount.from_json(secret.service_account.get_secret_value())
        except ProviderCredentialsError as error:
            raise ProviderNotConfiguredError(
                message=f"the stored service account cannot be used: {error.message}"
            ) from None
        factory = self._fcm_factory or FcmClient
        return factory(account, settings=self._provider_settings(), **self._fcm_options)

    def _build_apns(self, app: MobileApp) -> ApnsClient:
        from pushgate.providers.apns import (  # noqa: PLC0415 - on first use, see the class
            ApnsCertificateCredentials,
            ApnsClient,
            ApnsEnvironment,
            ApnsTokenCredentials,
        )

        ios = app.ios
        if ios is None:
            raise ProviderNotConfiguredError(message=f"mobile app {app.app_id} has no iOS (APNs) configuration")
        metadata = ios.metadata
        secret = load_ios_secret(self._secrets.read(ios.secret_id, max_age_seconds=SECRET_MAX_AGE_SECONDS))
        credentials: ApnsTokenCredentials | ApnsCertificateCredentials
        try:
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
                raise ProviderNotConfiguredError(message="the stored iOS secret does not match its auth mode")
        except ProviderCredentialsError as error:
            raise ProviderNotConfiguredError(
                message=f"the stored iOS credentials cannot be used: {error.message}"
            ) from None
        environment = ApnsEnvironment.SANDBOX if metadata.app_mode is AppMode.SANDBOX else ApnsEnvironment.PRODUCTION
        factory = self._apns_factory or ApnsClient
        return factory(credentials, environment=environment, settings=self._provider_settings(), **self._apns_options)

    def close(self) -> None:
        """Closes every cached client."""
        with self._lock:
            clients: list[ApnsClient | FcmClient] = [entry[1] for entry in self._apns.values()]
            clients += [entry[1] for entry in self._fcm.values()]
            self._apns.clear()
            self._fcm.clear()
        for client in clients:
            client.close()
