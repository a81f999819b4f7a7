"""The APNs client against the simulator over TLS + HTTP/2, including every injected fault."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

from pushgate.config import ProviderSettings
from pushgate.models.payloads import apns_id_for
from pushgate.models.push import Platform, PushMessage, PushRequest, Verdict
from pushgate.providers import verdicts
from pushgate.providers.apns import ApnsCertificateCredentials, ApnsClient, ApnsEnvironment, ApnsTokenCredentials
from pushgate.providers.errors import ProviderCredentialsError
from pushgate_local.simulator import RunningSimulator
from tests.provider_keys import BUNDLE_ID, KEY_ID, TEAM_ID, public_pem

MESSAGE = PushMessage(title="Hello", body="World", image_url="https://cdn.example/i.png", tracking_id="trk-1")


def token(number: int) -> str:
    return f"{number:064x}"


@pytest.fixture
def make_client(
    apns_credentials: ApnsTokenCredentials, settings: ProviderSettings
) -> Iterator[Callable[..., ApnsClient]]:
    clients: list[ApnsClient] = []

    def make(**options: object) -> ApnsClient:
        credentials = options.pop("credentials", apns_credentials)
        client = ApnsClient(credentials, settings=settings, **options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_delivers_with_the_headers_and_payload_apple_expects(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    client = make_client()
    request = PushRequest(
        device_token=token(1), send_id="send-1", message=MESSAGE, expires_at=1_900_000_000, collapse_id="c-1"
    )
    [outcome] = client.send_batch([request])
    assert outcome.verdict is Verdict.DELIVERED
    assert outcome.status == 200
    assert outcome.provider_message_id == apns_id_for("send-1", token(1))
    [delivered] = simulator.notifications(token=token(1))
    assert delivered["platform"] == "ios"
    assert delivered["environment"] == "production"
    headers = delivered["headers"]
    assert headers["apns-push-type"] == "alert"
    assert headers["apns-topic"] == BUNDLE_ID
    assert headers["apns-priority"] == "10"
    assert headers["apns-expiration"] == "1900000000"
    assert headers["apns-collapse-id"] == "c-1"
    assert headers["apns-id"] == outcome.provider_message_id
    assert delivered["payload"]["aps"]["alert"] == {"title": "Hello", "body": "World"}
    assert delivered["payload"]["aps"]["mutable-content"] == 1
    assert delivered["payload"]["data"]["trackingId"] == "trk-1"


def test_signature_is_checked_against_the_registered_key(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator, apns_key: ec.EllipticCurvePrivateKey
) -> None:
    simulator.configure(strict=True)
    simulator.register_apns_key(TEAM_ID, KEY_ID, public_pem(apns_key))
    [outcome] = make_client().send_batch([PushRequest(device_token=token(2), send_id="s", message=MESSAGE)])
    assert outcome.verdict is Verdict.DELIVERED


def test_a_key_apple_does_not_know_is_a_configuration_error(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    simulator.configure(strict=True)
    [outcome] = make_client().send_batch([PushRequest(device_token=token(3), send_id="s", message=MESSAGE)])
    assert outcome.verdict is Verdict.CONFIGURATION_ERROR
    assert outcome.reason == "InvalidProviderToken"
    assert simulator.notifications() == []


def test_a_token_signed_by_another_key_is_rejected(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    simulator.register_apns_key(TEAM_ID, KEY_ID, public_pem(ec.generate_private_key(ec.SECP256R1())))
    [outcome] = make_client().send_batch([PushRequest(device_token=token(4), send_id="s", message=MESSAGE)])
    assert (outcome.verdict, outcome.reason) == (Verdict.CONFIGURATION_ERROR, "InvalidProviderToken")


def test_sandbox_environment_uses_the_sandbox_host(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    client = make_client(environment=ApnsEnvironment.SANDBOX)
    [outcome] = client.send_batch([PushRequest(device_token=token(5), send_id="s", message=MESSAGE)])
    assert outcome.verdict is Verdict.DELIVERED
    assert simulator.notifications()[0]["environment"] == "sandbox"


def test_silent_and_dry_run_pushes_are_background_pushes(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    outcomes = make_client().send_batch(
        [
            PushRequest(device_token=token(6), send_id="s", message=MESSAGE, silent=True),
            PushRequest(device_token=token(7), send_id="s", message=MESSAGE, dry_run=True),
        ]
    )
    assert [o.verdict for o in outcomes] == [Verdict.DELIVERED, Verdict.DELIVERED]
    for delivered in simulator.notifications():
        assert delivered["headers"]["apns-push-type"] == "background"
        assert delivered["headers"]["apns-priority"] == "5"
        assert delivered["payload"]["aps"] == {"content-available": 1}
    # A silent push keeps the content the app needs; the dry run (a token check) carries nothing at all.
    assert simulator.notifications(token=token(6))[0]["payload"]["data"]["trackingId"] == "trk-1"
    assert simulator.notifications(token=token(7))[0]["payload"] == {"aps": {"content-available": 1}}


@pytest.mark.parametrize(
    ("device_token", "verdict", "reason", "retry_after"),
    [
        ("bad-device", Verdict.TOKEN_INVALID, "BadDeviceToken", None),
        ("mismatch-device", Verdict.TOKEN_INVALID, "DeviceTokenNotForTopic", None),
        ("thirdparty-device", Verdict.CONFIGURATION_ERROR, "Forbidden", None),
        ("throttle-device", Verdict.RETRY, "TooManyRequests", 7.0),
        ("error-device", Verdict.RETRY, "InternalServerError", verdicts.APNS_SERVER_ERROR_DELAY_S),
        ("unavailable-device", Verdict.RETRY, "ServiceUnavailable", 7.0),
        ("not-hex", Verdict.TOKEN_INVALID, "BadDeviceToken", None),
    ],
)
def test_injected_rejections_get_their_verdict(
    make_client: Callable[..., ApnsClient],
    simulator: RunningSimulator,
    *,
    device_token: str,
    verdict: Verdict,
    reason: str,
    retry_after: float | None,
) -> None:
    outcomes = make_client().send_batch(
        [
            PushRequest(device_token=device_token, send_id="s", message=MESSAGE),
            PushRequest(device_token=token(8), send_id="s", message=MESSAGE),
        ]
    )
    assert (outcomes[0].verdict, outcomes[0].reason, outcomes[0].retry_after) == (verdict, reason, retry_after)
    assert outcomes[0].platform is Platform.APNS
    assert outcomes[1].verdict is Verdict.DELIVERED
    assert [n["token"] for n in simulator.notifications()] == [token(8)]


def test_unregistered_carries_the_time_the_token_became_invalid(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    simulator.configure(unregistered_timestamp_ms=1_767_225_600_123)
    [outcome] = make_client().send_batch([PushRequest(device_token="gone-device", send_id="s", message=MESSAGE)])
    assert (outcome.verdict, outcome.status, outcome.reason) == (Verdict.TOKEN_INVALID, 410, "Unregistered")
    assert outcome.invalid_since == datetime.datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=datetime.UTC)


def test_rate_based_faults_apply_to_valid_tokens(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    simulator.configure(fault_rates={"gone": 1.0})
    outcomes = make_client().send_batch([PushRequest(device_token=token(n), send_id="s") for n in range(5)])
    assert {(o.verdict, o.reason) for o in outcomes} == {(Verdict.TOKEN_INVALID, "Unregistered")}


def test_oversized_payload_is_refused_before_sending(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    big = PushRequest(device_token=token(9), send_id="s", message=PushMessage(body="x" * 5000))
    too_long_collapse = PushRequest(device_token=token(10), send_id="s", collapse_id="c" * 65)
    outcomes = make_client().send_batch([big, too_long_collapse])
    assert [(o.verdict, o.rule) for o in outcomes] == [
        (Verdict.PAYLOAD_ERROR, verdicts.LOCAL_PAYLOAD_TOO_LARGE),
        (Verdict.PAYLOAD_ERROR, verdicts.LOCAL_BAD_COLLAPSE_ID),
    ]
    assert "4096" in (outcomes[0].detail or "")
    assert simulator.stats()["apns_requests"] == 0


def test_streams_are_multiplexed_on_one_reused_connection(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    simulator.configure(latency_ms=20)
    client = make_client(max_in_flight=50)
    first = client.send_batch([PushRequest(device_token=token(n), send_id="a") for n in range(200)])
    second = client.send_batch([PushRequest(device_token=token(n), send_id="b") for n in range(200)])
    assert {o.verdict for o in first + second} == {Verdict.DELIVERED}
    stats = simulator.stats()
    assert stats["connections"] == 1
    assert 1 < stats["max_concurrent_streams_per_connection"] <= 50
    assert stats["token_updates"] == 1


def test_goaway_loses_nothing_and_sends_nothing_twice(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    simulator.configure(goaway_after_streams=7, latency_ms=5)
    tokens = [token(n) for n in range(60)]
    outcomes = make_client(max_in_flight=20).send_batch([PushRequest(device_token=t, send_id="s") for t in tokens])
    assert {o.verdict for o in outcomes} == {Verdict.DELIVERED}
    assert sorted(n["token"] for n in simulator.notifications()) == sorted(tokens)
    stats = simulator.stats()
    assert stats["goaways"] >= 2
    assert stats["connections"] >= 3


def test_connection_reset_loses_nothing_and_sends_nothing_twice(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    simulator.configure(latency_ms=20)
    tokens = [token(n) for n in range(30)] + ["resetonce-device"]
    outcomes = make_client().send_batch([PushRequest(device_token=t, send_id="s") for t in tokens])
    assert {o.verdict for o in outcomes} == {Verdict.DELIVERED}
    assert sorted(n["token"] for n in simulator.notifications()) == sorted(tokens)
    assert simulator.stats()["resets"] == 1


def test_a_connection_that_keeps_dying_ends_as_a_retry(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    [outcome] = make_client().send_batch([PushRequest(device_token="reset-device", send_id="s")])
    assert (outcome.verdict, outcome.reason, outcome.status) == (Verdict.RETRY, verdicts.CONNECTION_ERROR, None)
    assert simulator.notifications() == []


def test_slow_answers_time_out_as_retries(make_client: Callable[..., ApnsClient], simulator: RunningSimulator) -> None:
    simulator.configure(slow_ms=5000)
    outcomes = make_client(request_timeout_s=0.5).send_batch(
        [PushRequest(device_token="slow-device", send_id="s"), PushRequest(device_token=token(1), send_id="s")]
    )
    assert (outcomes[0].verdict, outcomes[0].reason) == (Verdict.RETRY, verdicts.TIMEOUT)
    assert outcomes[1].verdict is Verdict.DELIVERED


class StepClock:
    """Epoch seconds shifted by ``offset``; tests move the offset."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def __call__(self) -> float:
        return time.time() + self.offset


class PastThenPresentClock:
    """Answers two hours in the past on the first call (the first token's iat), then the real time."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> float:
        self.calls += 1
        return time.time() - (2 * 3600 if self.calls == 1 else 0)


def test_expired_provider_token_is_replaced_once_on_a_new_connection(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    client = make_client(clock=PastThenPresentClock())
    outcomes = client.send_batch([PushRequest(device_token=token(n), send_id="s") for n in range(3)])
    assert {o.verdict for o in outcomes} == {Verdict.DELIVERED}
    stats = simulator.stats()
    assert stats["by_reason"] == {"ExpiredProviderToken": 3}
    assert stats["connections"] == 2
    assert sorted(n["token"] for n in simulator.notifications()) == [token(n) for n in range(3)]


def test_a_clock_that_stays_wrong_is_a_configuration_error(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    client = make_client(clock=StepClock(offset=-2 * 3600))
    [outcome] = client.send_batch([PushRequest(device_token=token(1), send_id="s")])
    assert (outcome.verdict, outcome.rule) == (Verdict.CONFIGURATION_ERROR, verdicts.EXPIRED_PROVIDER_TOKEN_AGAIN)


def test_token_rotation_never_triggers_too_many_provider_token_updates(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    clock = StepClock(offset=-45 * 60)
    client = make_client(clock=clock, token_lifetime_s=40 * 60)
    assert client.send_batch([PushRequest(device_token=token(1), send_id="s")])[0].verdict is Verdict.DELIVERED
    clock.offset = 0
    assert client.send_batch([PushRequest(device_token=token(2), send_id="s")])[0].verdict is Verdict.DELIVERED
    stats = simulator.stats()
    assert stats["token_updates"] == 2
    assert stats["connections"] == 2
    assert "TooManyProviderTokenUpdates" not in stats["by_reason"]


def _p12(simulator: RunningSimulator, password: bytes) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.USER_ID, BUNDLE_ID),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Apple Push Services: {BUNDLE_ID}"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(b"apns", key, certificate, None, BestAvailableEncryption(password))


def test_certificate_auth_sends_without_a_provider_token(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    credentials = ApnsCertificateCredentials(p12=_p12(simulator, b"secret"), password="secret")
    assert credentials.bundle_id == BUNDLE_ID
    assert "secret" not in repr(credentials)
    [outcome] = make_client(credentials=credentials).send_batch([PushRequest(device_token=token(1), send_id="s")])
    assert outcome.verdict is Verdict.DELIVERED
    [delivered] = simulator.notifications()
    assert delivered["headers"]["apns-topic"] == BUNDLE_ID
    assert "authorization" not in delivered["headers"]


def test_a_wrong_p12_password_is_a_credentials_error(simulator: RunningSimulator) -> None:
    with pytest.raises(ProviderCredentialsError) as raised:
        ApnsCertificateCredentials(p12=_p12(simulator, b"secret"), password="wrong")
    assert raised.value.problems[0].field == "Certificate"
    assert "wrong" not in str(raised.value)


def test_a_batch_of_several_messages_gives_each_device_its_own(
    make_client: Callable[..., ApnsClient], simulator: RunningSimulator
) -> None:
    other = PushMessage(title="Other", body="Message", tracking_id="trk-2")
    big = PushMessage(body="x" * 5000)
    messages = [MESSAGE, MESSAGE, other, big, MESSAGE, other, big, MESSAGE]
    requests = [
        PushRequest(device_token=token(100 + n), send_id="s", message=message, silent=n == 4, high_priority=n != 7)
        for n, message in enumerate(messages)
    ]
    outcomes = make_client(max_in_flight=2).send_batch(requests)
    assert [outcome.verdict for outcome in outcomes] == [
        Verdict.PAYLOAD_ERROR if message is big else Verdict.DELIVERED for message in messages
    ]
    for request, outcome in zip(requests, outcomes, strict=True):
        assert outcome.provider_message_id == apns_id_for("s", request.device_token)
        if request.message is big:
            assert simulator.notifications(token=request.device_token) == []
            continue
        [delivered] = simulator.notifications(token=request.device_token)
        assert delivered["headers"]["apns-id"] == outcome.provider_message_id
        assert delivered["headers"]["apns-priority"] == ("5" if request.silent or not request.high_priority else "10")
        if request.silent:
            assert delivered["payload"]["aps"] == {"content-available": 1}
        else:
            assert delivered["payload"]["aps"]["alert"]["title"] == request.message.title
            assert delivered["payload"]["data"]["trackingId"] == request.message.tracking_id
