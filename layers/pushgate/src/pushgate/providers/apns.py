"""APNs client: token (JWT, ES256) or certificate auth over multiplexed HTTP/2.

Protocol: https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns
"""

from __future__ import annotations

import datetime
import enum
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pushgate.config import ProviderSettings, provider_settings
from pushgate.models.payloads import (
    APNS_MAX_COLLAPSE_ID_BYTES,
    APNS_VERIFICATION_PAYLOAD,
    NotificationTooLargeError,
    apns_id_for,
    build_apns_payload,
    encode_apns_payload,
)
from pushgate.models.push import DeliveryOutcome, Platform, PushMessage, PushRequest, Verdict
from pushgate.providers import verdicts
from pushgate.providers.errors import ProviderCredentialsError
from pushgate.providers.transport import ClientCertificate, CurlHttp2Transport, HttpRequest, HttpResponse, PushClient
from pushgate.runtime.jws import sign_es256

#: Apple: refresh the provider token no more than once every 20 minutes and no less than once an hour.
#: https://developer.apple.com/documentation/usernotifications/establishing-a-token-based-connection-to-apns
MIN_TOKEN_LIFETIME_S: Final = 20 * 60
MAX_TOKEN_LIFETIME_S: Final = 60 * 60
DEFAULT_TOKEN_LIFETIME_S: Final = 50 * 60

_APPLE_ID = re.compile(r"^[A-Z0-9]{10}$")


#: Header lines every request carries, built once.
_ALERT: Final = "apns-push-type: alert"
_BACKGROUND: Final = "apns-push-type: background"
_PRIORITY_10: Final = "apns-priority: 10"
_PRIORITY_5: Final = "apns-priority: 5"
_JSON: Final = "content-type: application/json"
#: An empty value makes libcurl leave out its default ``Accept: */*``.
_NO_ACCEPT: Final = "accept:"
_VERIFICATION_BODY: Final = encode_apns_payload(APNS_VERIFICATION_PAYLOAD)


class _BodyMemo:
    """The encoded payload of the last (message, silent) pair of a batch.

    A batch usually sends one message to many devices, and the APNs payload does not name the
    device: it is built and encoded once for all of them.
    """

    __slots__ = ("_body", "_message", "_silent")

    def __init__(self) -> None:
        self._message: PushMessage | None = None
        self._silent = False
        self._body: bytes | NotificationTooLargeError = b""

    def body(self, message: PushMessage, silent: bool) -> bytes | NotificationTooLargeError:
        """The payload bytes, or why the payload cannot be sent."""
        if message is not self._message or silent != self._silent:
            try:
                self._body = encode_apns_payload(build_apns_payload(message, silent=silent))
            except NotificationTooLargeError as error:
                self._body = error
            self._message, self._silent = message, silent
        return self._body


class ApnsEnvironment(enum.StrEnum):
    """Which APNs host; a device token works only in the environment that issued it."""

    PRODUCTION = "production"
    SANDBOX = "sandbox"


class ApnsTokenCredentials:
    """Token-auth credentials: the .p8 signing key, its Key ID, the Team ID and the app's bundle id.

    The key never appears in ``repr``, logs or error messages.

    Args:
        key_id: The 10-character Key ID.
        team_id: The 10-character Team ID.
        signing_key_pem: The .p8 file's content (PKCS#8 PEM, EC P-256).
        bundle_id: The app's bundle id, sent as ``apns-topic``.

    Raises:
        ProviderCredentialsError: A value is malformed; the error names the field.
    """

    __slots__ = ("_signing_key", "bundle_id", "key_id", "team_id")

    def __init__(self, *, key_id: str, team_id: str, signing_key_pem: str | bytes, bundle_id: str) -> None:
        if not _APPLE_ID.match(key_id):
            raise ProviderCredentialsError.for_field("KeyId", "must be the 10-character Key ID shown by Apple")
        if not _APPLE_ID.match(team_id):
            raise ProviderCredentialsError.for_field("TeamId", "must be the 10-character Team ID shown by Apple")
        if not bundle_id.strip():
            raise ProviderCredentialsError.for_field("BundleId", "is required")
        pem = signing_key_pem.encode() if isinstance(signing_key_pem, str) else signing_key_pem
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            raise ProviderCredentialsError.for_field(
                "SigningKey", "is not a PEM private key (paste the whole .p8 file)"
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ProviderCredentialsError.for_field("SigningKey", "must be an EC P-256 key (an APNs .p8 key)")
        self.key_id = key_id
        self.team_id = team_id
        self.bundle_id = bundle_id.strip()
        self._signing_key = key

    @property
    def signing_key(self) -> ec.EllipticCurvePrivateKey:
        """The loaded private key."""
        return self._signing_key

    def __repr__(self) -> str:
        return f"ApnsTokenCredentials(key_id={self.key_id!r}, team_id={self.team_id!r}, bundle_id={self.bundle_id!r})"


class ApnsCertificateCredentials:
    """Certificate-auth credentials: the .p12 identity exported from Keychain and its password.

    Args:
        p12: The .p12 file's bytes.
        password: Its password (``None`` or empty when it has none).
        bundle_id: The app's bundle id; read from the certificate's subject UID when omitted.

    Raises:
        ProviderCredentialsError: The file cannot be opened with the password, holds no key or
            certificate, or no bundle id is known.
    """

    __slots__ = ("_client_certificate", "bundle_id", "not_valid_after")

    def __init__(self, *, p12: bytes, password: str | None, bundle_id: str | None = None) -> None:
        # PKCS#12 and X.509 load here, not with the module: token-auth apps (most) never need them,
        # and they are a sixth of what a delivery worker imports before its first notification.
        from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: PLC0415
        from cryptography.x509.oid import NameOID  # noqa: PLC0415

        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(p12, password.encode() if password else None)
        except (ValueError, TypeError):
            raise ProviderCredentialsError.for_field(
                "Certificate", "could not be opened with the given password (expected a .p12 export)"
            ) from None
        if key is None or certificate is None:
            raise ProviderCredentialsError.for_field(
                "Certificate", "must hold both the certificate and its private key"
            )
        if bundle_id is None:
            uids = certificate.subject.get_attributes_for_oid(NameOID.USER_ID)
            bundle_id = str(uids[0].value) if uids else None
        if not bundle_id:
            raise ProviderCredentialsError.for_field("BundleId", "is required (the certificate names no topic)")
        chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (certificate, *(chain or ())))
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.bundle_id = bundle_id
        self.not_valid_after: datetime.datetime = certificate.not_valid_after_utc
        self._client_certificate = ClientCertificate(chain_pem, key_pem)

    @property
    def client_certificate(self) -> ClientCertificate:
        """The TLS client identity."""
        return self._client_certificate

    def __repr__(self) -> str:
        return (
            f"ApnsCertificateCredentials(bundle_id={self.bundle_id!r}, not_valid_after={self.not_valid_after:%Y-%m-%d})"
        )


class ApnsTokenSigner:
    """Signs and caches the provider token (JWT) for one key.

    One token serves every request until it is ``lifetime_s`` old. The client rotates it only
    between batches and opens new connections when it does, so no connection ever sees a second
    token and ``TooManyProviderTokenUpdates`` cannot happen. The token is signed on first use, so
    its ``iat`` is never older than the connection it opens.

    Args:
        credentials: The signing key and ids.
        lifetime_s: Age at which the token is replaced, 20 to 60 minutes.
        clock: Returns epoch seconds.
    """

    def __init__(
        self,
        credentials: ApnsTokenCredentials,
        *,
        lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not MIN_TOKEN_LIFETIME_S <= lifetime_s < MAX_TOKEN_LIFETIME_S:
            raise ValueError("lifetime_s must be at least 20 minutes and less than 60 minutes")
        self._credentials = credentials
        self._lifetime_s = lifetime_s
        self._clock = clock
        self._header: str | None = None
        self._issued_at = 0

    @property
    def issued_at(self) -> int:
        """``iat`` of the current token (0 before the first one)."""
        return self._issued_at

    def authorization_header(self) -> str:
        """Returns the ``authorization: bearer <jwt>`` header line, signing a token if there is none."""
        header = self._header
        if header is None:
            self.rotate()
            header = self._header
        if header is None:
            raise RuntimeError("signing produced no token")
        return header

    def is_due(self) -> bool:
        """Tells whether the current token has reached its lifetime."""
        return self._header is not None and self._clock() - self._issued_at >= self._lifetime_s

    def rotate(self) -> None:
        """Signs a new token now."""
        issued_at = int(self._clock())
        token = sign_es256(
            {"iss": self._credentials.team_id, "iat": issued_at},
            self._credentials.signing_key,
            key_id=self._credentials.key_id,
        )
        self._issued_at = issued_at
        self._header = f"authorization: bearer {token}"

    def __repr__(self) -> str:
        return f"ApnsTokenSigner(key_id={self._credentials.key_id!r}, issued_at={self._issued_at})"


class ApnsClient(PushClient):
    """Sends notifications to APNs for one app (one set of credentials, one environment).

    Args:
        credentials: Token or certificate credentials.
        environment: Production or sandbox host.
        settings: Endpoints and extra CA; read from the environment when omitted.
        max_in_flight: Requests in flight at most (APNs typically allows 1000 streams).
        max_connections: Connections to APNs at most.
        connect_timeout_s: Connection setup limit.
        request_timeout_s: Per-request limit.
        token_lifetime_s: Provider-token lifetime (20 to 60 minutes).
        clock: Returns epoch seconds (tests move time).
    """

    def __init__(
        self,
        credentials: ApnsTokenCredentials | ApnsCertificateCredentials,
        *,
        environment: ApnsEnvironment = ApnsEnvironment.PRODUCTION,
        settings: ProviderSettings | None = None,
        max_in_flight: int = 1000,
        max_connections: int = 1,
        connect_timeout_s: float = 10.0,
        request_timeout_s: float = 30.0,
        token_lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        settings = settings or provider_settings()
        base_url = (
            settings.apns_production_url if environment is ApnsEnvironment.PRODUCTION else settings.apns_sandbox_url
        )
        self.environment = environment
        self._path_prefix = base_url.rstrip("/") + "/3/device/"
        self._topic_header = f"apns-topic: {credentials.bundle_id}"
        self._clock = clock
        self._lock = threading.Lock()
        self._signer: ApnsTokenSigner | None = None
        client_certificate = None
        if isinstance(credentials, ApnsTokenCredentials):
            self._signer = ApnsTokenSigner(credentials, lifetime_s=token_lifetime_s, clock=clock)
        else:
            client_certificate = credentials.client_certificate
        self._transport = CurlHttp2Transport(
            max_in_flight=max_in_flight,
            max_connections=max_connections,
            max_streams_per_connection=max_in_flight,
            connect_timeout_s=connect_timeout_s,
            request_timeout_s=request_timeout_s,
            ca_bundle=settings.ca_bundle,
            client_certificate=client_certificate,
        )

    def send_batch(self, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """Sends notifications concurrently and returns one outcome per request, in order.

        Never raises for a provider answer: rejected, throttled and unanswered notifications come
        back as outcomes. ``ExpiredProviderToken`` makes the client sign a new token, open a new
        connection and resend those notifications once.

        Args:
            requests: The notifications.

        Returns:
            Outcomes in the order of ``requests``.
        """
        with self._lock:
            if self._signer is not None and self._signer.is_due():
                self._rotate_token()
            outcomes: list[DeliveryOutcome | None] = [None] * len(requests)
            pending = self._prepare_and_send(requests, range(len(requests)), outcomes)
            expired = [i for i in pending if (o := outcomes[i]) is not None and o.reason == "ExpiredProviderToken"]
            if expired and self._signer is not None:
                self._rotate_token()
                self._prepare_and_send(requests, expired, outcomes)
                for index in expired:
                    outcome = outcomes[index]
                    if outcome is not None and outcome.reason == "ExpiredProviderToken":
                        outcomes[index] = verdicts.decide(
                            Platform.APNS,
                            outcome.status,
                            verdicts.EXPIRED_PROVIDER_TOKEN_AGAIN,
                            provider_message_id=outcome.provider_message_id,
                        )
            return self._settle(outcomes)

    def close(self) -> None:
        """Closes the connections."""
        self._transport.close()

    def _rotate_token(self) -> None:
        if self._signer is None:
            return
        self._signer.rotate()
        # A new token goes on a new connection: APNs counts token changes per connection.
        self._transport.reset_connections()

    def _prepare_and_send(
        self, requests: Sequence[PushRequest], indices: Sequence[int], outcomes: list[DeliveryOutcome | None]
    ) -> list[int]:
        authorization = self._signer.authorization_header() if self._signer is not None else None
        sent: list[int] = []
        apns_ids: list[str] = []
        bodies = _BodyMemo()

        # A generator: the transport builds each request when a stream is free for it, so building
        # overlaps with the answers in flight instead of delaying the first request.
        def build_requests() -> Iterator[HttpRequest]:
            for index in indices:
                request = requests[index]
                apns_id = apns_id_for(request.send_id, request.device_token)
                built = self._build(request, apns_id, authorization, bodies)
                if isinstance(built, DeliveryOutcome):
                    outcomes[index] = built
                    continue
                sent.append(index)
                apns_ids.append(apns_id)
                yield built

        def read_answer(position: int, response: HttpResponse) -> None:
            outcomes[sent[position]] = self._interpret(response, apns_ids[position])

        self._transport.execute(build_requests(), on_answer=read_answer)
        return sent

    def _build(
        self, request: PushRequest, apns_id: str, authorization: str | None, bodies: _BodyMemo
    ) -> HttpRequest | DeliveryOutcome:
        token = request.device_token
        if not token:
            return verdicts.decide(Platform.APNS, None, "MissingDeviceToken", provider_message_id=apns_id)
        if request.collapse_id and len(request.collapse_id.encode()) > APNS_MAX_COLLAPSE_ID_BYTES:
            return verdicts.decide(Platform.APNS, None, verdicts.LOCAL_BAD_COLLAPSE_ID, provider_message_id=apns_id)
        # APNs has no dry run: a background push with nothing in it checks the token unseen and unread.
        body = _VERIFICATION_BODY if request.dry_run else bodies.body(request.message, request.silent)
        if isinstance(body, NotificationTooLargeError):
            return verdicts.decide(
                Platform.APNS, None, verdicts.LOCAL_PAYLOAD_TOO_LARGE, provider_message_id=apns_id, detail=body.message
            )
        # Apple: background pushes must use priority 5.
        if request.silent or request.dry_run:
            push_type, priority = _BACKGROUND, _PRIORITY_5
        else:
            push_type, priority = _ALERT, _PRIORITY_10 if request.high_priority else _PRIORITY_5
        headers = [push_type, self._topic_header, priority, "apns-id: " + apns_id, _JSON, _NO_ACCEPT]
        if request.expires_at is not None:
            # NOW_OR_NEVER is Apple's own 0: one delivery attempt, not stored.
            headers.append(f"apns-expiration: {request.expires_at}")
        if request.collapse_id:
            headers.append(f"apns-collapse-id: {request.collapse_id}")
        if authorization is not None:
            headers.append(authorization)
        # Hex tokens need no quoting; quote() costs more than the rest of the URL.
        path = token if token.isascii() and token.isalnum() else urllib.parse.quote(token, safe="")
        return HttpRequest(url=self._path_prefix + path, headers=headers, body=body)

    def _interpret(self, response: HttpResponse, apns_id: str) -> DeliveryOutcome:
        if response.status is None:
            return verdicts.decide(
                Platform.APNS, None, response.error, provider_message_id=apns_id, detail=response.error_detail
            )
        if response.status == 200:
            # APNs echoes the apns-id it was sent; skip header parsing on the hot path.
            return DeliveryOutcome(Verdict.DELIVERED, Platform.APNS, 200, provider_message_id=apns_id, rule="Success")
        message_id = response.header("apns-id") or apns_id
        answer = response.json_object()
        reason = answer.get("reason") if isinstance(answer.get("reason"), str) else None
        timestamp = answer.get("timestamp")
        invalid_since = None
        # Apple: the 410 timestamp is in milliseconds since the epoch.
        if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
            invalid_since = datetime.datetime.fromtimestamp(timestamp / 1000, tz=datetime.UTC)
        return self._error_outcome(
            Platform.APNS, response, reason, invalid_since=invalid_since, provider_message_id=message_id
        )
