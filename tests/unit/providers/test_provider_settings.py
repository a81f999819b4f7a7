"""Provider endpoints: Apple's and Google's by default, overridable by environment variables."""

from __future__ import annotations

from pushgate.config import provider_settings


def test_defaults_are_the_real_providers() -> None:
    settings = provider_settings({})
    assert settings.apns_production_url == "https://api.push.apple.com"
    assert settings.apns_sandbox_url == "https://api.sandbox.push.apple.com"
    assert settings.fcm_api_url == "https://fcm.googleapis.com"
    assert settings.fcm_token_url is None
    assert settings.ca_bundle is None


def test_environment_variables_override_every_endpoint() -> None:
    settings = provider_settings(
        {
            "APNS_PRODUCTION_URL": "https://127.0.0.1:8443/",
            "APNS_SANDBOX_URL": "https://127.0.0.1:8443/sandbox",
            "FCM_API_URL": "https://127.0.0.1:8443",
            "FCM_TOKEN_URL": "https://127.0.0.1:8443/token",
            "PROVIDER_CA_BUNDLE": "/etc/pushgate/ca.pem",
        }
    )
    assert settings.apns_production_url == "https://127.0.0.1:8443"
    assert settings.apns_sandbox_url == "https://127.0.0.1:8443/sandbox"
    assert settings.fcm_api_url == "https://127.0.0.1:8443"
    assert settings.fcm_token_url == "https://127.0.0.1:8443/token"
    assert settings.ca_bundle == "/etc/pushgate/ca.pem"


def test_empty_variables_keep_the_defaults() -> None:
    assert provider_settings({"FCM_TOKEN_URL": ""}).fcm_token_url is None
