"""The FCM client and its OAuth flow against the simulator over TLS + HTTP/2, with every fault."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from pushgate.config import ProviderSettings
from pushgate.models.push import Platform, PushMessage, PushRequest, Verdict
from pushgate.providers import verdicts
from pushgate.providers.fcm import FcmClient, FcmServiceAccount, OAuthTokenSource
from pushgate_local.simulator import RunningSimulator
from tests.provider_keys import CLIENT_EMAIL, PRIVATE_KEY_ID, public_pem

MESSAGE = PushMessage(title="Hello", body="World", tracking_id="trk-1", android_notification=True)


@pytest.fixture
def make_client(service_account: FcmServiceAccount, settings: ProviderSettings) -> Iterator[Callable[..., FcmClient]]:
    clients: list[FcmClient] = []

    def make(**options: object) -> FcmClient:
        client = FcmClient(service_account, settings=settings, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_delivers_a_data_message_with_android_options(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    request = PushRequest(
        device_token="fcm-token-1", send_id="s", message=MESSAGE, expires_at=int(time.time()) + 600, collapse_id="c"
    )
    [outcome] = make_client().send_batch([request])
    assert outcome.verdict is Verdict.DELIVERED
    assert outcome.platform is Platform.FCM
    assert (outcome.provider_message_id or "").startswith("projects/pushgate-demo/messages/")
    [delivered] = simulator.notifications(token="fcm-token-1")
    message = delivered["payload"]
    assert delivered["platform"] == "android"
    assert message["data"]["trackingId"] == "trk-1"
    assert message["notification"] == {"title": "Hello", "body": "World"}
    assert message["android"]["priority"] == "HIGH"
    assert message["android"]["collapse_key"] == "c"
    assert 590 <= int(message["android"]["ttl"].rstrip("s")) <= 600


def test_oauth_assertion_is_verified_against_the_registered_key(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator, rsa_key: rsa.RSAPrivateKey
) -> None:
    simulator.configure(strict=True)
    simulator.register_fcm_key(CLIENT_EMAIL, public_pem(rsa_key), key_id=PRIVATE_KEY_ID)
    client = make_client()
    outcomes = client.send_batch([PushRequest(device_token=f"t{n}", send_id="s") for n in range(20)])
    assert {o.verdict for o in outcomes} == {Verdict.DELIVERED}
    assert simulator.stats()["oauth_tokens_issued"] == 1


def test_an_assertion_google_cannot_verify_is_a_configuration_error(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    simulator.configure(strict=True)
    outcomes = make_client().send_batch([PushRequest(device_token="t1", send_id="s")] * 2)
    assert {(o.verdict, o.reason) for o in outcomes} == {(Verdict.CONFIGURATION_ERROR, verdicts.OAUTH_REJECTED)}
    assert simulator.stats()["fcm_requests"] == 0


def test_a_key_other_than_the_registered_one_is_rejected(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    simulator.register_fcm_key(CLIENT_EMAIL, public_pem(other))
    [outcome] = make_client().send_batch([PushRequest(device_token="t1", send_id="s")])
    assert (outcome.verdict, outcome.reason) == (Verdict.CONFIGURATION_ERROR, verdicts.OAUTH_REJECTED)
    assert "Signature" in (outcome.detail or "")


def test_dry_run_validates_without_delivering(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    [outcome] = make_client().send_batch([PushRequest(device_token="t1", send_id="s", message=MESSAGE, dry_run=True)])
    assert outcome.verdict is Verdict.DELIVERED
    assert outcome.provider_message_id == "projects/pushgate-demo/messages/fake_message_id"
    assert simulator.notifications() == []
    [validated] = simulator.validated()
    assert validated["payload"] == {"token": "t1"}


@pytest.mark.parametrize(
    ("device_token", "verdict", "reason", "retry_after"),
    [
        ("bad-token", Verdict.TOKEN_INVALID, verdicts.FCM_INVALID_TOKEN, None),
        ("gone-token", Verdict.TOKEN_INVALID, "UNREGISTERED", None),
        ("mismatch-token", Verdict.CONFIGURATION_ERROR, "SENDER_ID_MISMATCH", None),
        ("thirdparty-token", Verdict.CONFIGURATION_ERROR, "THIRD_PARTY_AUTH_ERROR", None),
        ("throttle-token", Verdict.RETRY, "QUOTA_EXCEEDED", 7.0),
        ("error-token", Verdict.RETRY, "INTERNAL", verdicts.FCM_MIN_RETRY_DELAY_S),
        ("unavailable-token", Verdict.RETRY, "UNAVAILABLE", 7.0),
        ("not a token!", Verdict.TOKEN_INVALID, verdicts.FCM_INVALID_TOKEN, None),
    ],
)
def test_injected_errors_get_their_verdict(
    make_client: Callable[..., FcmClient],
    simulator: RunningSimulator,
    *,
    device_token: str,
    verdict: Verdict,
    reason: str,
    retry_after: float | None,
) -> None:
    outcomes = make_client().send_batch(
        [PushRequest(device_token=device_token, send_id="s"), PushRequest(device_token="ok-token", send_id="s")]
    )
    assert (outcomes[0].verdict, outcomes[0].reason, outcomes[0].retry_after) == (verdict, reason, retry_after)
    assert outcomes[1].verdict is Verdict.DELIVERED
    assert [n["token"] for n in simulator.notifications()] == ["ok-token"]


def test_a_rejected_access_token_is_replaced_once(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    client = make_client()
    assert client.send(PushRequest(device_token="t1", send_id="s")).verdict is Verdict.DELIVERED
    simulator.reset()  # forgets every access token it issued: the next send gets a bare 401
    outcomes = client.send_batch([PushRequest(device_token=f"t{n}", send_id="s") for n in range(5)])
    assert {o.verdict for o in outcomes} == {Verdict.DELIVERED}
    stats = simulator.stats()
    assert stats["by_status"] == {"401": 5, "200": 6}  # five bare 401s, one token, five resends
    assert stats["oauth_tokens_issued"] == 1


def test_access_token_is_refreshed_in_the_background_while_sends_go_on(
    service_account: FcmServiceAccount, settings: ProviderSettings, simulator: RunningSimulator
) -> None:
    # A margin as long as the token's life: every send after the first finds the token due.
    tokens = OAuthTokenSource(
        service_account, token_url=settings.fcm_token_url, ca_bundle=settings.ca_bundle, refresh_margin_s=3599
    )
    client = FcmClient(service_account, settings=settings, token_source=tokens)
    assert client.send(PushRequest(device_token="t1", send_id="s")).verdict is Verdict.DELIVERED
    assert client.send(PushRequest(device_token="t2", send_id="s")).verdict is Verdict.DELIVERED
    assert tokens.wait_for_background_refresh(10)
    assert client.send(PushRequest(device_token="t3", send_id="s")).verdict is Verdict.DELIVERED
    assert tokens.wait_for_background_refresh(10)
    client.close()
    stats = simulator.stats()
    assert stats["oauth_tokens_issued"] == 3
    assert stats["by_status"] == {"200": 6}


def test_many_messages_use_several_connections_of_bounded_streams(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    simulator.configure(latency_ms=20)
    client = make_client(max_in_flight=60, max_streams_per_connection=20)
    outcomes = client.send_batch([PushRequest(device_token=f"t{n}", send_id="s") for n in range(300)])
    assert {o.verdict for o in outcomes} == {Verdict.DELIVERED}
    stats = simulator.stats()
    assert stats["max_concurrent_streams_per_connection"] <= 20
    assert stats["connections"] == 4  # three for messages, one for the OAuth token request


def test_goaway_and_reset_lose_nothing(make_client: Callable[..., FcmClient], simulator: RunningSimulator) -> None:
    simulator.configure(goaway_after_streams=9, latency_ms=5)
    tokens = [f"t{n}" for n in range(40)] + ["resetonce-token"]
    outcomes = make_client(max_in_flight=20, max_streams_per_connection=20).send_batch(
        [PushRequest(device_token=t, send_id="s") for t in tokens]
    )
    assert {o.verdict for o in outcomes} == {Verdict.DELIVERED}
    assert sorted(n["token"] for n in simulator.notifications()) == sorted(tokens)
    assert simulator.stats()["goaways"] >= 1


def test_oversized_message_is_refused_before_sending(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    [outcome] = make_client().send_batch(
        [PushRequest(device_token="t1", send_id="s", message=PushMessage(body="x" * 5000))]
    )
    assert (outcome.verdict, outcome.rule) == (Verdict.PAYLOAD_ERROR, verdicts.LOCAL_PAYLOAD_TOO_LARGE)
    assert simulator.stats()["fcm_requests"] == 0


def test_a_batch_of_several_messages_gives_each_device_its_own(
    make_client: Callable[..., FcmClient], simulator: RunningSimulator
) -> None:
    other = PushMessage(title="Other", body="Message", tracking_id="trk-2")
    requests = [
        PushRequest(device_token=f"t{n}", send_id="s", message=MESSAGE if n % 3 else other, silent=n == 4)
        for n in range(8)
    ]
    outcomes = make_client(max_in_flight=3).send_batch(requests)
    assert [outcome.verdict for outcome in outcomes] == [Verdict.DELIVERED] * 8
    assert len({outcome.provider_message_id for outcome in outcomes}) == 8
    for request in requests:
        [delivered] = simulator.notifications(token=request.device_token)
        message = delivered["payload"]
        assert message["token"] == request.device_token
        assert message["data"]["trackingId"] == request.message.tracking_id
        assert ("notification" in message) is (request.message.android_notification and not request.silent)
