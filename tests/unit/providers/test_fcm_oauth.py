"""FCM service-account parsing and the OAuth2 access-token cache (fake token endpoint)."""

from __future__ import annotations

import json
import threading
import urllib.parse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pushgate.providers.errors import ProviderCredentialsError
from pushgate.providers.fcm import FCM_SCOPE, JWT_BEARER_GRANT, FcmServiceAccount, OAuthTokenSource
from pushgate.providers.ports import OAuthError
from tests.fakes.clocks import FixedClock


class TokenEndpoint:
    """A token endpoint behind httpx.MockTransport that records the assertions it gets."""

    def __init__(self, status: int = 200, expires_in: int = 3600) -> None:
        self.status = status
        self.expires_in = expires_in
        self.assertions: list[str] = []
        self.release = threading.Event()
        self.release.set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = urllib.parse.parse_qs(request.content.decode())
        assert form["grant_type"] == [JWT_BEARER_GRANT]
        self.assertions.append(form["assertion"][0])
        assert self.release.wait(5)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "invalid_grant", "error_description": "Invalid JWT."})
        number = len(self.assertions)
        return httpx.Response(200, json={"access_token": f"token-{number}", "expires_in": self.expires_in})


def source_for(
    account: FcmServiceAccount, endpoint: TokenEndpoint, clock: FixedClock, token_url: str | None = None
) -> OAuthTokenSource:
    client = httpx.Client(transport=httpx.MockTransport(endpoint))
    return OAuthTokenSource(account, token_url=token_url, clock=clock, http_client=client)


def test_assertion_carries_the_claims_google_requires(
    service_account: FcmServiceAccount, rsa_key: rsa.RSAPrivateKey
) -> None:
    source = OAuthTokenSource(service_account, token_url="https://127.0.0.1:9/token")
    assertion = source.assertion(1_700_000_000.5)
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(
        assertion,
        rsa_key.public_key(),
        algorithms=["RS256"],
        audience="https://127.0.0.1:9/token",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert header["alg"] == "RS256"
    assert header["kid"] == "0123456789abcdef"
    assert claims == {
        "iss": "sender@pushgate-demo.iam.gserviceaccount.com",
        "scope": FCM_SCOPE,
        "aud": "https://127.0.0.1:9/token",
        "iat": 1_700_000_000,
        "exp": 1_700_003_600,
    }
    source.close()


def test_audience_defaults_to_the_accounts_token_uri(service_account: FcmServiceAccount) -> None:
    source = OAuthTokenSource(service_account)
    claims = jwt.decode(source.assertion(1_700_000_000), options={"verify_signature": False})
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    source.close()


def test_access_token_is_cached_until_the_refresh_margin(service_account: FcmServiceAccount) -> None:
    endpoint = TokenEndpoint(expires_in=3600)
    clock = FixedClock(1_700_000_000)
    source = source_for(service_account, endpoint, clock)
    assert source.access_token() == "token-1"
    clock.now += 3600 - 301
    assert source.access_token() == "token-1"
    assert len(endpoint.assertions) == 1


def test_refresh_inside_the_margin_runs_in_the_background(service_account: FcmServiceAccount) -> None:
    endpoint = TokenEndpoint(expires_in=3600)
    clock = FixedClock(1_700_000_000)
    source = source_for(service_account, endpoint, clock)
    source.access_token()
    endpoint.release.clear()
    clock.now += 3600 - 200
    # The endpoint is held: the call still answers at once with the current token.
    assert source.access_token() == "token-1"
    assert source.access_token() == "token-1"
    endpoint.release.set()
    assert source.wait_for_background_refresh(5)
    assert source.access_token() == "token-2"
    assert len(endpoint.assertions) == 2


def test_expired_token_is_fetched_in_line(service_account: FcmServiceAccount) -> None:
    endpoint = TokenEndpoint(expires_in=3600)
    clock = FixedClock(1_700_000_000)
    source = source_for(service_account, endpoint, clock)
    source.access_token()
    clock.now += 3600
    assert source.access_token() == "token-2"


def test_invalidate_forces_a_new_token(service_account: FcmServiceAccount) -> None:
    endpoint = TokenEndpoint()
    source = source_for(service_account, endpoint, FixedClock(1_700_000_000))
    source.invalidate(source.access_token())
    assert source.access_token() == "token-2"
    source.invalidate("some-other-token")
    assert source.access_token() == "token-2"


@pytest.mark.parametrize(("status", "rejected"), [(400, True), (401, True), (500, False), (503, False)])
def test_endpoint_failures_say_whether_the_credentials_are_at_fault(
    service_account: FcmServiceAccount, status: int, rejected: bool
) -> None:
    source = source_for(service_account, TokenEndpoint(status=status), FixedClock(1_700_000_000))
    with pytest.raises(OAuthError) as raised:
        source.access_token()
    assert raised.value.rejected is rejected
    assert str(status) in raised.value.detail


def test_unreachable_endpoint_is_not_blamed_on_the_credentials(service_account: FcmServiceAccount) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    source = OAuthTokenSource(service_account, http_client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(OAuthError) as raised:
        source.access_token()
    assert raised.value.rejected is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "authorized_user"}, "ServiceAccount.type"),
        ({"client_email": ""}, "ServiceAccount.client_email"),
        ({"project_id": None}, "ServiceAccount.project_id"),
        (
            {"private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"},
            "ServiceAccount.private_key",
        ),
    ],
)
def test_bad_service_account_json_names_the_field(
    service_account_json: str, change: dict[str, object], field: str
) -> None:
    document = json.loads(service_account_json)
    document.update(change)
    with pytest.raises(ProviderCredentialsError) as raised:
        FcmServiceAccount.from_json(json.dumps(document))
    assert raised.value.problems[0].field == field


def test_non_json_is_refused() -> None:
    with pytest.raises(ProviderCredentialsError, match="JSON"):
        FcmServiceAccount.from_json("{not json")


def test_private_key_never_shows_in_reprs_or_errors(service_account_json: str) -> None:
    document = json.loads(service_account_json)
    key_line = document["private_key"].splitlines()[1]
    account = FcmServiceAccount.from_json(service_account_json)
    source = OAuthTokenSource(account)
    for text in (repr(account), repr(source)):
        assert key_line not in text
    document["private_key"] = document["private_key"].replace(key_line, key_line[::-1])
    with pytest.raises(ProviderCredentialsError) as raised:
        FcmServiceAccount.from_json(json.dumps(document))
    assert key_line[::-1] not in str(raised.value)
    source.close()
