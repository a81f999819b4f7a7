"""The one place the CLI talks HTTP: builds each request, authenticates it, turns errors into `CliError`.

Locally every operator request carries ``Authorization: Bearer <admin_key>`` read from the running
stack's ``local.json``; in AWS it is signed with SigV4 (service ``execute-api``) using botocore's
standard credential chain (environment, profile, SSO, instance role...) and region.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from pushgate_cli.config import Target, read_local_settings
from pushgate_cli.errors import CliError, error_from_response

# botocore is imported where an AWS target needs it (``aws_session``, ``SigV4.sign``): it is about a
# fifth of every command's start, and a local target (`make dev`) never signs.
if TYPE_CHECKING:
    from botocore.credentials import Credentials, ReadOnlyCredentials
    from botocore.session import Session

SERVICE = "execute-api"
#: Headers whose values the signature covers (besides those SigV4 adds itself); httpx's own
#: headers (user agent, accept-encoding...) may change without breaking it.
SIGNED_HEADERS = frozenset({"host", "content-type"})
DEFAULT_TIMEOUT_S = 60.0


def aws_session() -> Session:
    """botocore's session (its credential chain and configured region), for an AWS target only."""
    from botocore.session import Session  # noqa: PLC0415 - see the module imports

    return Session()


class BearerAuth(httpx.Auth):
    """The local runtime's operator authentication."""

    def __init__(self, admin_key: str) -> None:
        self._header = f"Bearer {admin_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class SigV4(httpx.Auth):
    """AWS Signature Version 4 for API Gateway (IAM-authorized routes), signed by botocore."""

    requires_request_body = True

    def __init__(self, credentials: Credentials | ReadOnlyCredentials, region: str) -> None:
        self._credentials = credentials
        self._region = region

    def sign(self, request: httpx.Request) -> None:
        """Adds ``Authorization``, ``X-Amz-Date`` (and ``X-Amz-Security-Token``) to the request."""
        from botocore.auth import SigV4Auth  # noqa: PLC0415 - see the module imports
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415
        from botocore.credentials import Credentials  # noqa: PLC0415

        credentials = self._credentials
        if isinstance(credentials, Credentials):
            credentials = credentials.get_frozen_credentials()  # refreshable chains renew here
        headers = {name: value for name, value in request.headers.items() if name.lower() in SIGNED_HEADERS}
        signed = AWSRequest(method=request.method, url=str(request.url), data=request.content, headers=headers)
        SigV4Auth(credentials, SERVICE, self._region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = signed.headers.get(name)
            if value is not None:
                request.headers[name] = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request


def segment(value: str) -> str:
    """One path segment, percent-encoded (ids may hold any character)."""
    return quote(value, safe="")


def admin_path(org: str, *parts: str) -> str:
    """``/admin/v1/orgs/{org}/...`` with every part encoded."""
    return "/".join(["/admin/v1/orgs", segment(org), *(segment(p) for p in parts)])


#: A request's query parameters; one whose value is ``None`` is left out.
QueryParams = Mapping[str, str | int | None]


def query_string(params: QueryParams) -> str:
    """RFC 3986 encoding (``%20``, never ``+``), as SigV4's canonical query string expects."""
    pairs = [f"{quote(k, safe='-_.~')}={quote(str(v), safe='-_.~')}" for k, v in params.items() if v is not None]
    return "?" + "&".join(pairs) if pairs else ""


class ApiClient:
    """Operator calls against one Pushgate API."""

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth,
        *,
        transport: httpx.BaseTransport | None = None,
        unreachable_hint: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(auth=auth, timeout=DEFAULT_TIMEOUT_S, transport=transport)
        #: Said after "cannot reach": what to do about it.
        self.unreachable_hint = unreachable_hint

    @classmethod
    def for_target(cls, target: Target) -> ApiClient:
        """The client of the saved target (local: ``local.json`` read now; AWS: botocore's chain)."""
        if target.mode == "local":
            settings = read_local_settings(Path(target.local_json))
            # A stack that was killed (not stopped) leaves its local.json behind, naming ports nothing listens on.
            hint = f"{target.local_json} is left from a local stack that is no longer running: run `make dev`"
            return cls(settings.api_url, BearerAuth(settings.admin_key), unreachable_hint=hint)
        session = aws_session()
        credentials = session.get_credentials()
        if credentials is None:
            raise CliError("no AWS credentials found (environment, ~/.aws, SSO or instance role)")
        region = target.region or session.get_config_variable("region")
        if not region:
            raise CliError("no AWS region: run 'pushgate login --api-url URL --region REGION'")
        return cls(target.api_url, SigV4(credentials, str(region)))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def send(self, method: str, path: str, *, body: Any = None, params: QueryParams | None = None) -> httpx.Response:
        """Sends one request; any answer below 400 is returned.

        Raises:
            CliError: exit 1 for a 4xx (with the API's field and problem), 3 for a 5xx or no answer.
        """
        url = self.base_url + path + query_string(params or {})
        try:
            response = self._http.request(method, url, **({} if body is None else {"json": body}))
        except httpx.ConnectError as error:
            hint = f"; {self.unreachable_hint}" if self.unreachable_hint else ""
            raise CliError(f"cannot reach {self.base_url}: {error}{hint}") from None
        except httpx.TransportError as error:
            raise CliError(f"cannot reach {self.base_url}: {error}") from None
        if response.status_code >= 400:
            try:
                decoded: Any = response.json()
            except ValueError:
                decoded = None
            raise error_from_response(response.status_code, decoded, response.text)
        return response

    def call(self, method: str, path: str, *, body: Any = None, params: QueryParams | None = None) -> Any:
        """Sends one request and returns its decoded JSON body (``None`` when it has none)."""
        response = self.send(method, path, body=body, params=params)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(f"{method} {path}: the answer is not JSON") from None

    def every_page(self, path: str, items: str, params: QueryParams | None = None) -> list[Any]:
        """``GET``s every page of a list, following ``NextToken``, and returns the ``items`` of all of them."""
        found: list[Any] = []
        token: str | None = None
        while True:
            page = self.call("GET", path, params={**(params or {}), "NextToken": token})
            found.extend(page[items])
            token = page.get("NextToken")
            if not token:
                return found
