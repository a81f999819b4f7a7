"""Push message templates: what an operator authors, its versions and its lifecycle.

The content model validates everything that can be checked at save time: required texts, URL
rules, data keys, locale tags, and every personalization template (a malformed tag or an unknown
data source is reported with its field and character offset). Field names are PascalCase on the
wire (``OnClick.Url``) and snake_case in storage.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_pascal
from pydantic_core import PydanticCustomError

from pushgate.locales import canonical_locale
from pushgate.models.frozen import Frozen
from pushgate.models.message_status import MessageStatus
from pushgate.models.push import InterruptionLevel
from pushgate.templating import TemplateSyntaxError, compile_template
from pushgate.text import SINGLE_LINE
from pushgate.validation import JsonInt

#: Most localized variants per message.
MAX_LOCALIZATIONS: Final = 50
#: Most custom data keys per message.
MAX_DATA_KEYS: Final = 32
MAX_URL_CHARS: Final = 2048
#: Keys Pushgate writes itself, and keys FCM reserves (``from``, ``notification``, ``message_type``,
#: anything starting with ``google`` or ``gcm``).
RESERVED_DATA_KEYS: Final = frozenset(
    {"title", "body", "imageUrl", "link", "originalLink", "trackingId", "from", "notification", "message_type"}
)
_RESERVED_DATA_PREFIXES: Final = ("google", "gcm")
_DATA_KEY: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_SCHEME: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
#: Schemes that would make a tap run code, read local files or leave TLS.
_FORBIDDEN_SCHEMES: Final = frozenset({"http", "javascript", "data", "file", "vbscript", "about", "blob", "ftp"})


class OnClickBehavior(StrEnum):
    """What a tap on the notification does."""

    OPEN_APP = "OpenApp"
    OPEN_URL = "OpenUrl"


class AndroidPriority(StrEnum):
    """FCM ``android.priority``."""

    HIGH = "High"
    NORMAL = "Normal"


def _template(value: str) -> str:
    try:
        compile_template(value)
    except TemplateSyntaxError as error:
        raise PydanticCustomError(
            "template_syntax", "at character {offset}: {reason}", {"offset": error.offset, "reason": error.reason}
        ) from None
    return value


#: A text that may contain personalization (``{{contact.firstname}}``, ``{{#if}}`` blocks).
TemplateText = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_template)]
RequiredTemplateText = Annotated[str, StringConstraints(min_length=1, max_length=4096), AfterValidator(_template)]
#: The same, on one line (titles and subtitles: no tab, CR or LF; a Body may hold them).
TemplateLine = Annotated[str, StringConstraints(max_length=4096), SINGLE_LINE, AfterValidator(_template)]
RequiredTemplateLine = Annotated[
    str, StringConstraints(min_length=1, max_length=4096), SINGLE_LINE, AfterValidator(_template)
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), SINGLE_LINE]

_MODEL_CONFIG = ConfigDict(
    alias_generator=to_pascal,
    populate_by_name=True,
    extra="forbid",
    frozen=True,
    hide_input_in_errors=True,
)


def _link_problem(source: str) -> str | None:
    scheme_match = _SCHEME.match(source)
    if scheme_match is None:
        return "must start with a scheme: https://... or an app deep link such as myapp://..."
    scheme = scheme_match.group(1).lower()
    if scheme in _FORBIDDEN_SCHEMES:
        return f"the {scheme}: scheme is not allowed; use https:// or an app deep link"
    if scheme == "https":
        host = re.match(r"^https://([^/?#{}\s\\]+)", source, re.IGNORECASE)
        if host is None:
            return "must name its host literally (https://example.com/...); only the path and query may be personalized"
    return None


#: Validation context of content an operator is saving (or previewing unsaved): rules that stored
#: content need not meet again are checked only then, so a message saved under older rules still loads.
AUTHORING: Final = {"authoring": True}
_AUTHORITY_END: Final = frozenset("/?#")


def literal_origin(source: str) -> tuple[str, str]:
    """The scheme and authority (host, port, user info) a URL template writes before its first tag, lowercased.

    A rendered URL must have exactly these: values are percent-encoded, but one written right after
    the host (``https://shop.example{{trigger.p}}``) or literal text in a block could still extend it.
    """
    parts = urllib.parse.urlsplit(source.split("{{", 1)[0])
    return parts.scheme.lower(), parts.netloc.lower()


def _authority_problem(source: str) -> str | None:
    """Why the URL's host and port are not literal (ended by ``/``, ``?`` or ``#`` before any tag), if so."""
    literal, tag, _ = source.partition("{{")
    scheme = _SCHEME.match(literal)
    if not tag or scheme is None:
        return None
    rest = literal[scheme.end() :]
    if rest.startswith("//"):
        if not _AUTHORITY_END & set(rest[2:]):
            return (
                "must name its host (and port) literally and end them with /, ? or # before any placeholder "
                "(https://shop.example/{{trigger.path}}); only the path, query and fragment may be personalized"
            )
    elif rest in {"", "/"}:
        return "must write literally what follows the scheme up to the first placeholder, so no host can be inserted"
    return None


def _image_problem(value: str) -> str | None:
    if "{{" in value:
        return "cannot be personalized; use a fixed https URL"
    parts = urllib.parse.urlsplit(value)
    if parts.scheme.lower() != "https" or not parts.netloc or any(c.isspace() for c in value):
        return "must be an https URL (https://host/path)"
    return None


class OnClick(BaseModel):
    """What a tap does: open the app, or open a URL / deep link (``Url`` may be personalized)."""

    model_config = _MODEL_CONFIG

    behavior: OnClickBehavior = OnClickBehavior.OPEN_APP
    url: TemplateText | None = None

    @model_validator(mode="before")
    @classmethod
    def _always_check_url(cls, data: Any) -> Any:
        # An absent Url is checked like an explicit null, so a missing one is reported as OnClick.Url.
        if isinstance(data, dict) and "Url" not in data and "url" not in data:
            return {**data, "Url": None}
        return data

    @field_validator("url")
    @classmethod
    def _url_matches_behavior(cls, value: str | None, info: ValidationInfo) -> str | None:
        behavior = info.data.get("behavior")
        if behavior is OnClickBehavior.OPEN_URL:
            if not value:
                raise PydanticCustomError("url_required", "is required when Behavior is OpenUrl")
            if len(value) > MAX_URL_CHARS:
                raise PydanticCustomError("url_length", f"has at most {MAX_URL_CHARS} characters")
            problem = _link_problem(value)
            if problem:
                raise PydanticCustomError("url_scheme", problem)
            problem = _authority_problem(value) if info.context and info.context.get("authoring") else None
            if problem:
                raise PydanticCustomError("url_authority", problem)
        elif value is not None:
            raise PydanticCustomError("url_unexpected", "must be omitted when Behavior is OpenApp")
        return value


class IosOptions(BaseModel):
    """iOS presentation options (``aps`` keys)."""

    model_config = _MODEL_CONFIG

    sound: ShortText | None = None
    badge: Annotated[JsonInt, Field(ge=0, le=99_999)] | None = None
    thread_id: ShortText | None = None
    interruption_level: InterruptionLevel | None = None
    category: ShortText | None = None


class AndroidOptions(BaseModel):
    """Android options: notification channel, FCM priority, and whether to add a ``notification`` block."""

    model_config = _MODEL_CONFIG

    channel_id: ShortText | None = None
    priority: AndroidPriority = AndroidPriority.HIGH
    notification: bool = False


class LocalizedText(BaseModel):
    """One language's texts; a variant replaces the default Title, Subtitle and Body together."""

    model_config = _MODEL_CONFIG

    title: RequiredTemplateLine
    subtitle: TemplateLine | None = None
    body: RequiredTemplateText


class MessageContent(BaseModel):
    """Everything an operator authors; one version of a message is one ``MessageContent``."""

    model_config = _MODEL_CONFIG

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), SINGLE_LINE]
    title: RequiredTemplateLine
    subtitle: TemplateLine | None = None
    body: RequiredTemplateText
    image_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_URL_CHARS)] | None = None
    on_click: OnClick = Field(default_factory=OnClick)
    data: dict[str, Annotated[str, StringConstraints(max_length=1024), AfterValidator(_template)]] | None = None
    ios: IosOptions | None = None
    android: AndroidOptions | None = None
    time_to_live_seconds: Annotated[JsonInt, Field(ge=0, le=2_419_200)] | None = None
    expires_at: datetime | None = Field(default=None, validate_default=True)
    collapse_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")] | None = None
    localizations: dict[str, LocalizedText] | None = None
    #: The fatigue category the app's per-category frequency caps count (not ``Ios.Category``).
    category: ShortText | None = None
    #: ``True``: quiet hours do not hold it back; ``False``: it waits, and is dropped past its TTL.
    time_sensitive: bool | None = None
    #: ``True``: exempt from frequency caps (receipts, security codes) and not counted against them.
    transactional: bool | None = None

    @field_validator("image_url")
    @classmethod
    def _https_image(cls, value: str | None) -> str | None:
        if value is not None:
            problem = _image_problem(value)
            if problem:
                raise PydanticCustomError("image_url", problem)
        return value or None

    @field_validator("data")
    @classmethod
    def _data_keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        if len(value) > MAX_DATA_KEYS:
            raise PydanticCustomError("data_size", f"has at most {MAX_DATA_KEYS} keys")
        for key in value:
            if key in RESERVED_DATA_KEYS or key.lower().startswith(_RESERVED_DATA_PREFIXES):
                raise PydanticCustomError(
                    "data_key", "key '{key}' is reserved (Pushgate or FCM writes it)", {"key": key}
                )
            if not _DATA_KEY.match(key):
                raise PydanticCustomError(
                    "data_key",
                    "key '{key}' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter",
                    {"key": key},
                )
        return value

    @field_validator("expires_at")
    @classmethod
    def _one_expiry(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise PydanticCustomError("expires_at_naive", "needs a time zone, for example 2026-12-01T18:00:00Z")
        if info.data.get("time_to_live_seconds") is not None:
            raise PydanticCustomError("expiry_twice", "send TimeToLiveSeconds or ExpiresAt, not both")
        return value

    @field_validator("localizations")
    @classmethod
    def _locale_tags(cls, value: dict[str, LocalizedText] | None) -> dict[str, LocalizedText] | None:
        if value is None:
            return None
        if len(value) > MAX_LOCALIZATIONS:
            raise PydanticCustomError("localizations_size", f"has at most {MAX_LOCALIZATIONS} locales")
        canonical: dict[str, LocalizedText] = {}
        for tag, text in value.items():
            normalised = canonical_locale(tag)
            if normalised is None:
                raise PydanticCustomError(
                    "locale", "'{tag}' is not a locale tag such as en, pt-BR or zh-Hant-TW", {"tag": tag}
                )
            if normalised in canonical:
                raise PydanticCustomError("locale", "'{tag}' appears twice", {"tag": normalised})
            canonical[normalised] = text
        return canonical

    def to_api(self) -> dict[str, Any]:
        """The content as the API shows it (PascalCase, unset options left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_storage(self) -> dict[str, Any]:
        """The content as stored (snake_case, unset options left out)."""
        return self.model_dump(mode="json", exclude_none=True)


class MessageTemplate(Frozen):
    """The current version of a push message and its lifecycle state.

    Attributes:
        org_id: Owner org.
        message_id: Id of the message (stable across versions).
        status: Draft, Active or Inactive.
        version: Number of the current content version (1 on create, +1 per change).
        revision: Incremented on every write (content or status); guards concurrent changes.
        content: The current version's content.
        created_at: When the message was created.
        updated_at: Last write of any kind.
        status_changed_at: Last lifecycle transition.
    """

    org_id: str
    message_id: str
    status: MessageStatus
    version: int
    revision: int
    content: MessageContent
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime


class MessageVersion(Frozen):
    """One immutable version of a message's content (sends record which one they used).

    Attributes:
        org_id: Owner org.
        message_id: The message.
        version: Its number.
        content: The content as saved.
        created_at: When this version was saved.
    """

    org_id: str
    message_id: str
    version: int
    content: MessageContent
    created_at: datetime
