"""FCM HTTP v1 client: service-account OAuth2 plus one multiplexed HTTP/2 request per message.

Protocol: https://firebase.google.com/docs/cloud-messaging/migrate-v1
OAuth2 flow: https://developers.google.com/identity/protocols/oauth2/service-account
"""

from __future__ import annotations

import json
import math
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import certifi
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from pushgate.config import ProviderSettings, provider_settings
from pushgate.models.payloads import FcmBodyEncoder, NotificationTooLargeError
from pushgate.models.push import DeliveryOutcome, Platform, PushRequest, Verdict
from pushgate.providers import verdicts
from pushgate.providers.errors import ProviderCredentialsError
from pushgate.providers.ports import OAuthError
from pushgate.providers.transport import CurlHttp2Transport, HttpRequest, HttpResponse, PushClient
from pushgate.runtime.jws import sign_rs256

FCM_SCOPE: Final = "https://www.googleapis.com/auth/firebase.messaging"
GOOGLE_TOKEN_URL: Final = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
JWT_BEARER_GRANT: Final = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Google: the assertion may be valid for at most one hour.
ASSERTION_LIFETIME_S: Final = 3600
#: Refresh this long before the access token expires (google-auth uses 3 min 45 s).
DEFAULT_REFRESH_MARGIN_S: Final = 300
#: Below this much remaining validity the refresh happens in line rather than in the background.
_MIN_USABLE_S: Final = 30
#: Google: about 100 concurrent streams per connection to fcm.googleapis.com.
FCM_STREAMS_PER_CONNECTION: Final = 100

_FCM_ERROR_TYPE: Final = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_BAD_REQUEST_TYPE: Final = "type.googleapis.com/google.rpc.BadRequest"
#: The message name in a success answer (``{"name": "projects/p/messages/0:123"}``), read without a
#: JSON parse on the hot path: printable ASCII without quotes or escapes; any other answer goes
#: through ``json``.
_SUCCESS_NAME: Final = re.compile(rb'\A\s*\{\s*"name"\s*:\s*"([\x20\x21\x23-\x5b\x5d-\x7e]*)"\s*\}\s*\Z')


class FcmServiceAccount:
    """The fields of a Firebase service-account JSON that sending needs.

    The private key never appears in ``repr``, logs or error messages.

    Attributes:
        project_id: Firebase project id (used in the send URL).
        client_email: Service-account email (the assertion's ``iss``).
        private_key_id: Key id (the assertion's ``kid``).
        token_uri: OAuth2 token endpoint from the JSON.
    """

    __slots__ = ("_private_key", "client_email", "private_key_id", "project_id", "token_uri")

    def __init__(
        self, *, project_id: str, client_email: str, private_key_pem: str, private_key_id: str, token_uri: str
    ) -> None:
        try:
            key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        except (ValueError, TypeError):
            raise ProviderCredentialsError.for_field("ServiceAccount.private_key", "is not a PEM private key") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ProviderCredentialsError.for_field("ServiceAccount.private_key", "must be an RSA key")
        self.project_id = project_id
        self.client_email = client_email
        self.private_key_id = private_key_id
        self.token_uri = token_uri
        self._private_key = key

    @classmethod
    def from_json(cls, document: str | bytes | Mapping[str, Any]) -> FcmServiceAccount:
        """Reads a service-account JSON file as downloaded from the Firebase console.

        Args:
            document: The JSON text or its parsed object.

        Returns:
            The service account.

        Raises:
            ProviderCredentialsError: The document is not a service-account key; names the field.
        """
        if isinstance(document, str | bytes):
            try:
                parsed = json.loads(document)
            except ValueError:
                raise ProviderCredentialsError.for_field("ServiceAccount", "is not valid JSON") from None
        else:
            parsed = dict(document)
        if not isinstance(parsed, dict):
            raise ProviderCredentialsError.for_field("ServiceAccount", "must be a JSON object")
        if parsed.get("type") != "service_account":
            raise ProviderCredentialsError.for_field("ServiceAccount.type", "must be service_account")
        for name in ("project_id", "client_email", "private_key", "private_key_id"):
            if not isinstance(parsed.get(name), str) or not parsed[name]:
                raise ProviderCredentialsError.for_field(f"ServiceAccount.{name}", "is required")
        return cls(
            project_id=parsed["project_id"],
            client_email=parsed["client_email"],
            private_key_pem=parsed["private_key"],
            private_key_id=parsed["private_key_id"],
            token_uri=parsed.get("token_uri") or GOOGLE_TOKEN_URL,
        )

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The loaded RSA key."""
        return self._private_key

    def __repr__(self) -> str:
        return f"FcmServiceAccount(project_id={self.project_id!r}, client_email={self.client_email!r})"


@dataclass(frozen=True, slots=True)
class AccessToken:
    """An OAuth2 access token and its expiry (epoch seconds)."""

    value: str = field(repr=False)
    expires_at: float


def build_ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Returns a verifying TLS context trusting the public roots plus ``ca_bundle``.

    Args:
        ca_bundle: Extra PEM CA file, or ``None``.

    Returns:
        The context.
    """
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


class OAuthTokenSource:
    """Mints, caches and refreshes the service account's access token.

    The token is refreshed ``refresh_margin_s`` before it expires. While the current token is still
    usable the refresh runs on a background thread, so sends keep going with the current token; only
    a missing or nearly expired token is fetched in line. One refresh runs at a time.

    Args:
        account: The service account.
        token_url: Token endpoint; the account's ``token_uri`` when ``None``.
        ca_bundle: Extra CA to trust.
        clock: Returns epoch seconds.
        refresh_margin_s: How long before expiry to refresh.
        timeout_s: Token request limit.
        http_client: An httpx client to use instead of creating one.
    """

    def __init__(
        self,
        account: FcmServiceAccount,
        *,
        token_url: str | None = None,
        ca_bundle: str | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin_s: float = DEFAULT_REFRESH_MARGIN_S,
        timeout_s: float = 10.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._account = account
        self._token_url = token_url or account.token_uri
        self._clock = clock
        self._refresh_margin_s = refresh_margin_s
        # HTTP/2 because some endpoints (the local simulator) speak nothing else; Google speaks both.
        self._http = http_client or httpx.Client(http2=True, verify=build_ssl_context(ca_bundle), timeout=timeout_s)
        self._token: AccessToken | None = None
        self._refresh_lock = threading.Lock()
        self._background: threading.Thread | None = None

    def assertion(self, now: float) -> str:
        """Signs the RS256 JWT assertion exchanged for an access token.

        Args:
            now: Epoch seconds for ``iat``.

        Returns:
            The compact JWT.
        """
        issued_at = int(now)
        claims = {
            "iss": self._account.client_email,
            "scope": FCM_SCOPE,
            "aud": self._token_url,
            "iat": issued_at,
            "exp": issued_at + ASSERTION_LIFETIME_S,
        }
        return sign_rs256(claims, self._account.private_key, key_id=self._account.private_key_id)

    def access_token(self) -> str:
        """Returns a valid access token, fetching or refreshing it as needed.

        Raises:
            OAuthError: No usable token and the endpoint refused or failed.
        """
        token = self._token
        now = self._clock()
        if token is not None and now < token.expires_at - self._refresh_margin_s:
            return token.value
        if token is not None and now < token.expires_at - _MIN_USABLE_S:
            self._refresh_in_background()
            return token.value
        return self._refresh_in_line(stale=token)

    def invalidate(self, value: str) -> None:
        """Forgets ``value`` if it is the cached token (the API answered 401 for it).

        Args:
            value: The rejected access token.
        """
        if self._token is not None and self._token.value == value:
            self._token = None

    def wait_for_background_refresh(self, timeout_s: float) -> bool:
        """Waits for a running background refresh.

        Args:
            timeout_s: How long to wait at most.

        Returns:
            ``True`` when no refresh is running any more.
        """
        background = self._background
        if background is not None:
            background.join(timeout_s)
            return not background.is_alive()
        return True

    def close(self) -> None:
        """Closes the HTTP client."""
        self.wait_for_background_refresh(10.0)
        self._http.close()

    def _refresh_in_background(self) -> None:
        if not self._refresh_lock.acquire(blocking=False):
            return
        thread = threading.Thread(target=self._refresh_holding_lock, name="fcm-oauth-refresh", daemon=True)
        self._background = thread
        thread.start()

    def _refresh_holding_lock(self) -> None:
        try:
            self._token = self._fetch()
        except OAuthError:
            # The current token is still valid; the next call retries, in line once it is nearly expired.
            pass
        finally:
            self._refresh_lock.release()

    def _refresh_in_line(self, stale: AccessToken | None) -> str:
        with self._refresh_lock:
            token = self._token
            if token is not None and token is not stale and self._clock() < token.expires_at - _MIN_USABLE_S:
                return token.value
            token = self._fetch()
            self._token = token
            return token.value

    def _fetch(self) -> AccessToken:
        now = self._clock()
        form = {"grant_type": JWT_BEARER_GRANT, "assertion": self.assertion(now)}
        try:
            response = self._http.post(self._token_url, data=form)
        except httpx.HTTPError as error:
            raise OAuthError(f"token endpoint unreachable: {type(error).__name__}", rejected=False) from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not isinstance(answer, dict) or "access_token" not in answer:
            description = answer.get("error_description") or answer.get("error") if isinstance(answer, dict) else None
            rejected = 400 <= response.status_code < 500
            raise OAuthError(f"token endpoint answered {response.status_code}: {description}", rejected=rejected)
        expires_in = float(answer.get("expires_in", 3600))
        return AccessToken(value=str(answer["access_token"]), expires_at=now + expires_in)

    def __repr__(self) -> str:
        return f"OAuthTokenSource(client_email={self._account.client_email!r}, token_url={self._token_url!r})"


class FcmClient(PushClient):
    """Sends messages through FCM HTTP v1 for one Firebase project.

    Args:
        service_account: The project's service account.
        settings: Endpoints and extra CA; read from the environment when omitted.
        max_in_flight: Requests in flight at most.
        max_streams_per_connection: Streams per connection (Google allows about 100); more
            connections are opened to reach ``max_in_flight``.
        connect_timeout_s: Connection setup limit.
        request_timeout_s: Per-request limit (Google: at least 10 s).
        clock: Returns epoch seconds.
        token_source: Supplies access tokens; built from the account and settings when omitted.
    """

    def __init__(
        self,
        service_account: FcmServiceAccount,
        *,
        settings: ProviderSettings | None = None,
        max_in_flight: int = 500,
        max_streams_per_connection: int = FCM_STREAMS_PER_CONNECTION,
        connect_timeout_s: float = 10.0,
        request_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        token_source: OAuthTokenSource | None = None,
    ) -> None:
        settings = settings or provider_settings()
        self._clock = clock
        self._url = (
            f"{settings.fcm_api_url.rstrip('/')}/v1/projects/"
            f"{urllib.parse.quote(service_account.project_id, safe='')}/messages:send"
        )
        self._tokens = token_source or OAuthTokenSource(
            service_account, token_url=settings.fcm_token_url, ca_bundle=settings.ca_bundle, clock=clock
        )
        self._lock = threading.Lock()
        self._transport = CurlHttp2Transport(
            max_in_flight=max_in_flight,
            max_connections=math.ceil(max_in_flight / max_streams_per_connection),
            max_streams_per_connection=max_streams_per_connection,
            connect_timeout_s=connect_timeout_s,
            request_timeout_s=request_timeout_s,
            ca_bundle=settings.ca_bundle,
        )

    @property
    def token_source(self) -> OAuthTokenSource:
        """The access-token cache."""
        return self._tokens

    def send_batch(self, requests: Sequence[PushRequest]) -> list[DeliveryOutcome]:
        """Sends messages concurrently and returns one outcome per request, in order.

        Never raises for a provider answer. A bare 401 makes the client fetch a new access token
        and resend those messages once.

        Args:
            requests: The messages (``dry_run`` sends ``validate_only``).

        Returns:
            Outcomes in the order of ``requests``.
        """
        with self._lock:
            outcomes: list[DeliveryOutcome | None] = [None] * len(requests)
            try:
                token = self._tokens.access_token()
            except OAuthError as error:
                code = verdicts.OAUTH_REJECTED if error.rejected else verdicts.OAUTH_UNAVAILABLE
                return [verdicts.decide(Platform.FCM, None, code, detail=error.detail) for _ in requests]
            sent = self._prepare_and_send(requests, range(len(requests)), outcomes, token)
            unauthenticated = [i for i in sent if (o := outcomes[i]) is not None and o.rule == "HTTP 401"]
            if unauthenticated:
                self._tokens.invalidate(token)
                try:
                    token = self._tokens.access_token()
                except OAuthError as error:
                    code = verdicts.OAUTH_REJECTED if error.rejected else verdicts.OAUTH_UNAVAILABLE
                    for index in unauthenticated:
                        outcomes[index] = verdicts.decide(Platform.FCM, None, code, detail=error.detail)
                else:
                    self._prepare_and_send(requests, unauthenticated, outcomes, token)
                    for index in unauthenticated:
                        outcome = outcomes[index]
                        if outcome is not None and outcome.rule == "HTTP 401":
                            outcomes[index] = verdicts.decide(Platform.FCM, 401, verdicts.UNAUTHENTICATED_AGAIN)
            return self._settle(outcomes)

    def close(self) -> None:
        """Closes connections and the token client."""
        self._transport.close()
        self._tokens.close()

    def _prepare_and_send(
        self,
        requests: Sequence[PushRequest],
        indices: Sequence[int],
        outcomes: list[DeliveryOutcome | None],
        access_token: str,
    ) -> list[int]:
        headers = [f"authorization: Bearer {access_token}", "content-type: application/json; charset=utf-8", "accept:"]
        url = self._url
        bodies = FcmBodyEncoder(now=self._clock())
        sent: list[int] = []

        # A generator: the transport builds each request when a stream is free for it, so building
        # overlaps with the answers in flight instead of delaying the first request.
        def build_requests() -> Iterator[HttpRequest]:
            for index in indices:
                request = requests[index]
                if not request.device_token:
                    outcomes[index] = verdicts.decide(
                        Platform.FCM, None, verdicts.FCM_INVALID_TOKEN, detail="empty token"
                    )
                    continue
                try:
                    body = bodies.encode(request)
                except NotificationTooLargeError as error:
                    outcomes[index] = verdicts.decide(
                        Platform.FCM, None, verdicts.LOCAL_PAYLOAD_TOO_LARGE, detail=error.message
                    )
                    continue
                sent.append(index)
                yield HttpRequest(url=url, headers=headers, body=body)

        def read_answer(position: int, response: HttpResponse) -> None:
            outcomes[sent[position]] = self._interpret(response)

        self._transport.execute(build_requests(), on_answer=read_answer)
        return sent

    def _interpret(self, response: HttpResponse) -> DeliveryOutcome:
        if response.status is None:
            return verdicts.decide(Platform.FCM, None, response.error, detail=response.error_detail)
        if response.status == 200:
            return delivered(response)
        answer = response.json_object()
        code, message = _error_code(answer)
        return self._error_outcome(Platform.FCM, response, code, detail=message)


def delivered(response: HttpResponse) -> DeliveryOutcome:
    """The outcome of a 200 answer: what ``verdicts.decide`` answers, built directly (it runs once per
    notification), with the message name the body gives."""
    found = _SUCCESS_NAME.match(response.body)
    name = found.group(1).decode("ascii") if found is not None else response.json_object().get("name")
    message_id = name if isinstance(name, str) else None
    return DeliveryOutcome(Verdict.DELIVERED, Platform.FCM, 200, provider_message_id=message_id, rule="Success")


def _error_code(answer: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Reads the FcmError code from a google.rpc.Status body, as firebase-admin does.

    An INVALID_ARGUMENT about ``message.token`` means the token, not the message, is bad
    (https://firebase.google.com/docs/cloud-messaging/manage-tokens).
    """
    error = answer.get("error")
    if not isinstance(error, dict):
        return None, None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    code: str | None = None
    about_token = False
    details = error.get("details")
    for detail in details if isinstance(details, list) else []:
        if not isinstance(detail, dict):
            continue
        if detail.get("@type") == _FCM_ERROR_TYPE and isinstance(detail.get("errorCode"), str):
            code = detail["errorCode"]
        elif detail.get("@type") == _BAD_REQUEST_TYPE:
            violations = detail.get("fieldViolations")
            for violation in violations if isinstance(violations, list) else []:
                if isinstance(violation, dict) and violation.get("field") == "message.token":
                    about_token = True
    if code == "INVALID_ARGUMENT" and (about_token or "registration token" in (message or "").lower()):
        code = verdicts.FCM_INVALID_TOKEN
    return code, message
