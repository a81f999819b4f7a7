"""Bodies of the mobile app configuration routes (``/admin/v1/orgs/{orgId}/mobileapps``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pushgate.credentials.inputs import MobileAppCredentialsInput
from pushgate.models.mobile_app import ApiToken, CredentialCheck, MobileApp
from pushgate.text import SINGLE_LINE

AppName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), SINGLE_LINE]
AppDescription = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
TokenLabel = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128), SINGLE_LINE]


class CreateMobileAppRequest(MobileAppCredentialsInput):
    """``POST .../mobileapps``: a name, and the credentials of at least one platform."""

    name: AppName
    description: AppDescription = ""
    user_resolve_enabled: bool = True


class UpdateMobileAppRequest(MobileAppCredentialsInput):
    """``PATCH .../mobileapps/{id}``: what is sent changes; ``"Ios": null`` removes the iOS app."""

    name: AppName | None = None
    description: AppDescription | None = None
    user_resolve_enabled: bool | None = None


class IssueTokenRequest(BaseModel):
    """``POST .../tokens``."""

    model_config = ConfigDict(extra="forbid")

    Label: TokenLabel = ""


class CredentialCheckBody(BaseModel):
    """The credential validation of one platform."""

    Status: str
    Reason: str | None
    CheckedAt: datetime | None

    @classmethod
    def from_check(cls, check: CredentialCheck) -> CredentialCheckBody:
        """Maps the domain value to the body."""
        return cls(Status=check.status.value, Reason=check.reason, CheckedAt=check.checked_at)


class MobileAppResponse(BaseModel):
    """A configuration with its credentials redacted to their non-secret metadata."""

    MobileAppId: str
    OrgId: str
    Name: str
    Description: str
    Ios: dict[str, Any] | None
    Android: dict[str, Any] | None
    CredentialValidation: dict[str, CredentialCheckBody]
    UserResolveEnabled: bool
    CreatedAt: datetime
    UpdatedAt: datetime

    @classmethod
    def from_app(cls, app: MobileApp) -> MobileAppResponse:
        """Maps the domain entity to the body (metadata only, never secret references)."""
        checks = {}
        if app.ios is not None:
            checks["Ios"] = CredentialCheckBody.from_check(app.ios.check)
        if app.android is not None:
            checks["Android"] = CredentialCheckBody.from_check(app.android.check)
        return cls(
            MobileAppId=app.app_id,
            OrgId=app.org_id,
            Name=app.name,
            Description=app.description,
            Ios=app.ios.metadata.model_dump(mode="json") if app.ios else None,
            Android=app.android.metadata.model_dump(mode="json") if app.android else None,
            CredentialValidation=checks,
            UserResolveEnabled=app.user_resolve_enabled,
            CreatedAt=app.created_at,
            UpdatedAt=app.updated_at,
        )


class MobileAppListResponse(BaseModel):
    """A page of configurations."""

    MobileApps: list[MobileAppResponse]
    NextToken: str | None = Field(default=None)


class IssuedTokenResponse(BaseModel):
    """A new access token; the only response that ever carries ``ApiToken``."""

    TokenId: str
    Label: str
    ApiToken: str
    CreatedAt: datetime


class TokenSummary(BaseModel):
    """A token as lists show it: never the token itself."""

    TokenId: str
    Label: str
    CreatedAt: datetime
    LastUsedAt: datetime | None

    @classmethod
    def from_token(cls, token: ApiToken) -> TokenSummary:
        """Maps the domain entity to the body."""
        return cls(TokenId=token.token_id, Label=token.label, CreatedAt=token.created_at, LastUsedAt=token.last_used_at)


class TokenListResponse(BaseModel):
    """The live tokens of an app."""

    Tokens: list[TokenSummary]


class DeveloperInfoResponse(BaseModel):
    """What an app developer needs to call the device API (CI-J's "Developer information" tab)."""

    PublicEndpoint: str
    OrganizationId: str
    ApplicationId: str
    AccessTokens: list[TokenSummary]
