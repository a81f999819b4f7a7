"""Bodies of the token lifecycle routes: the cleanup preview and apps' token policies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from pushgate.models.token_lifecycle import (
    DEFAULT_INVALID_GRACE_DAYS,
    DEFAULT_STALE_AFTER_DAYS,
    DEFAULT_STALE_GRACE_DAYS,
    TokenPolicy,
)
from pushgate.services.token_cleanup.token_cleanup import CleanupReport
from pushgate.validation import JsonInt


class CleanupPreviewRequest(BaseModel):
    """``POST .../cleanup/preview`` (the body is optional): narrow the report to one app."""

    model_config = ConfigDict(extra="forbid")

    AppId: str | None = Field(default=None, min_length=1, max_length=64)


class ChangeCountBody(BaseModel):
    """How many devices of one app one action changes for one reason."""

    OrgId: str
    AppId: str
    Action: str
    Reason: str
    Count: int


class CleanupReportResponse(BaseModel):
    """What a cleanup run changed, or (``DryRun``) would change."""

    RunId: str | None
    AsOf: datetime
    DryRun: bool
    Complete: bool
    Resumed: bool
    SkippedReason: str | None
    Changes: list[ChangeCountBody]
    Purged: int
    MarkedStale: int
    Reindexed: int
    Skipped: int

    @classmethod
    def from_report(cls, report: CleanupReport, *, app_id: str | None = None) -> CleanupReportResponse:
        """Maps the service's report to the body (only ``app_id``'s changes when given)."""
        changes = [c for c in report.changes if app_id is None or c.app_id == app_id]
        return cls(
            RunId=report.run_id,
            AsOf=report.as_of,
            DryRun=report.dry_run,
            Complete=report.complete,
            Resumed=report.resumed,
            SkippedReason=report.skipped_reason,
            Changes=[
                ChangeCountBody(OrgId=c.org_id, AppId=c.app_id, Action=c.action.value, Reason=c.reason, Count=c.count)
                for c in changes
            ],
            Purged=report.purged,
            MarkedStale=report.marked_stale,
            Reindexed=report.reindexed,
            Skipped=report.skipped,
        )


class TokenPolicyRequest(BaseModel):
    """``PUT .../mobileapps/{appId}/token-policy``: an omitted field takes its default."""

    model_config = ConfigDict(extra="forbid")

    StaleAfterDays: JsonInt = Field(default=DEFAULT_STALE_AFTER_DAYS, ge=7, le=3650)
    InvalidGraceDays: JsonInt = Field(default=DEFAULT_INVALID_GRACE_DAYS, ge=0, le=365)
    StaleGraceDays: JsonInt = Field(default=DEFAULT_STALE_GRACE_DAYS, ge=0, le=365)


class TokenPolicyResponse(BaseModel):
    """An app's token policy."""

    MobileAppId: str
    StaleAfterDays: int
    InvalidGraceDays: int
    StaleGraceDays: int
    IsDefault: bool
    UpdatedAt: datetime | None

    @classmethod
    def from_policy(cls, app_id: str, policy: TokenPolicy | None) -> TokenPolicyResponse:
        """Maps a stored policy (``None``: the defaults) to the body."""
        shown = policy or TokenPolicy()
        return cls(
            MobileAppId=app_id,
            StaleAfterDays=shown.stale_after_days,
            InvalidGraceDays=shown.invalid_grace_days,
            StaleGraceDays=shown.stale_grace_days,
            IsDefault=policy is None,
            UpdatedAt=shown.updated_at,
        )
