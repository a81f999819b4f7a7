"""The live check never reports Valid without an answer from the provider."""

from __future__ import annotations

from datetime import UTC, datetime

from pushgate.config import ProviderSettings
from pushgate.credentials.apns_token import validate_ios_token_credentials
from pushgate.credentials.fcm import validate_android_credentials
from pushgate.credentials.inputs import AndroidCredentialsInput, IosTokenCredentialsInput
from pushgate.models.mobile_app import AndroidPlatform, CheckStatus, CredentialCheck, IosPlatform, MobileApp
from pushgate.providers.clients import ProviderClientFactory
from pushgate.services.apps.credential_checks import ProviderCredentialChecker
from pushgate_local.credentials import generate_apns_auth_key, generate_fcm_service_account
from pushgate_local.processes import free_port

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
UNCHECKED = CredentialCheck(status=CheckStatus.UNCHECKED)


class DictSecrets:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def create(self, name: str, secret_string: str) -> str:
        self.values[name] = secret_string
        return name

    def read(self, secret_id: str, *, max_age_seconds: int = 0) -> str:
        return self.values[secret_id]

    def delete(self, secret_id: str) -> None:
        self.values.pop(secret_id, None)


def test_unreachable_providers_leave_both_platforms_unchecked() -> None:
    # Given an app with good credentials and providers that nobody answers for
    key, account = generate_apns_auth_key(), generate_fcm_service_account("offline")
    ios = IosTokenCredentialsInput.model_validate(
        {
            "AuthMode": "Token",
            "AppMode": "Sandbox",
            "BundleId": "com.a.b",
            "TeamId": key.team_id,
            "KeyId": key.key_id,
            "SigningKey": key.private_key_pem,
        }
    )
    android = AndroidCredentialsInput.model_validate({"ServiceAccountJson": account.info})
    secrets = DictSecrets()
    app = MobileApp(
        org_id="o",
        app_id="a",
        name="n",
        description="",
        created_at=NOW,
        updated_at=NOW,
        ios=IosPlatform(
            metadata=validate_ios_token_credentials(ios),
            check=UNCHECKED,
            secret_id=secrets.create("ios", ios.to_secret().to_secret_string()),
        ),
        android=AndroidPlatform(
            metadata=validate_android_credentials(android),
            check=UNCHECKED,
            secret_id=secrets.create("android", android.to_secret().to_secret_string()),
        ),
    )
    closed = f"https://127.0.0.1:{free_port()}"
    settings = ProviderSettings(
        apns_production_url=closed, apns_sandbox_url=closed, fcm_api_url=closed, fcm_token_url=f"{closed}/token"
    )

    # When the live check runs
    options = {"max_in_flight": 1, "connect_timeout_s": 2.0, "request_timeout_s": 2.0}
    clients = ProviderClientFactory(secrets=secrets, settings=settings, apns_options=options, fcm_options=options)
    checks = ProviderCredentialChecker(clients=clients, now=lambda: NOW).check(app)

    # Then nothing is claimed: both stay Unchecked, with a reason and the time of the attempt
    assert {platform: check.status for platform, check in checks.items()} == {
        "Ios": CheckStatus.UNCHECKED,
        "Android": CheckStatus.UNCHECKED,
    }
    assert all(check.reason and check.checked_at == NOW for check in checks.values())
