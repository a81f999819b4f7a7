"""Fixtures for the provider unit tests: key material generated at test time, never committed."""

from tests.provider_keys import (  # noqa: F401 - fixtures are registered by being imported here
    apns_credentials,
    apns_key,
    rsa_key,
    service_account,
    service_account_json,
)
