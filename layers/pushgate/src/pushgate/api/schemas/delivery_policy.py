"""Bodies of ``GET``/``PUT /admin/v1/orgs/{orgId}/mobileapps/{appId}/delivery-policy``."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from pushgate.api.schemas.common import REQUEST_CONFIG
from pushgate.models.delivery_timing import (
    DeliveryPolicy,
    FrequencyCap,
    QuietHours,
    UncertainDelivery,
    parse_clock_time,
)
from pushgate.text import SINGLE_LINE
from pushgate.validation import JsonInt

CategoryName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), SINGLE_LINE]


class QuietHoursBody(BaseModel):
    """Recipient-local quiet hours; ``Start`` after ``End`` crosses midnight (21:00 to 08:00)."""

    model_config = REQUEST_CONFIG

    Start: str
    End: str

    @field_validator("Start", "End")
    @classmethod
    def _clock(cls, value: str) -> str:
        try:
            return parse_clock_time(value).strftime("%H:%M")
        except ValueError as error:
            raise PydanticCustomError("clock_time", str(error)) from None

    @model_validator(mode="after")
    def _length(self) -> QuietHoursBody:
        if self.Start == self.End:
            raise PydanticCustomError("quiet_hours_empty", "Start and End are equal: quiet hours of zero length")
        return self


class FrequencyCapBody(BaseModel):
    """At most ``MaxNotifications`` per person in any ``PeriodHours`` (rolling)."""

    model_config = REQUEST_CONFIG

    MaxNotifications: JsonInt = Field(ge=1, le=1000)
    PeriodHours: JsonInt = Field(ge=1, le=720)

    def to_cap(self) -> FrequencyCap:
        """The domain value."""
        return FrequencyCap(max_notifications=self.MaxNotifications, period_hours=self.PeriodHours)


class DeliveryPolicyRequest(BaseModel):
    """``PUT .../delivery-policy``: the whole policy (an omitted part is off)."""

    model_config = REQUEST_CONFIG

    #: IANA name, Windows id or Dataverse ``timezonecode`` (recipients without a known zone get it).
    DefaultTimeZone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | int = "UTC"
    QuietHours: QuietHoursBody | None = None
    FrequencyCap: FrequencyCapBody | None = None
    CategoryCaps: Annotated[dict[CategoryName, FrequencyCapBody], Field(max_length=50)] | None = None
    #: A notification a crashed delivery worker may have handed to the provider: sent again under a
    #: collapse id of its own (``ResendCollapsed``, for messages without a ``CollapseId``), or
    #: recorded ``NotSent`` / ``DeliveryUncertain`` (``Skip``).
    UncertainDelivery: UncertainDelivery = UncertainDelivery.RESEND_COLLAPSED

    @field_validator("DefaultTimeZone", mode="before")
    @classmethod
    def _zone_shape(cls, value: object) -> object:
        # One problem on the field for anything but text or a JSON integer (true is no timezonecode).
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise PydanticCustomError(
            "time_zone_type", "must be a time zone name (text) or a Dataverse timezonecode (a JSON integer)"
        )

    def to_policy(self) -> DeliveryPolicy:
        """The domain value (the zone is checked by the use case)."""
        quiet = None
        if self.QuietHours is not None:
            quiet = QuietHours(start=parse_clock_time(self.QuietHours.Start), end=parse_clock_time(self.QuietHours.End))
        return DeliveryPolicy(
            default_time_zone=str(self.DefaultTimeZone),
            quiet_hours=quiet,
            frequency_cap=self.FrequencyCap.to_cap() if self.FrequencyCap else None,
            category_caps={name: cap.to_cap() for name, cap in (self.CategoryCaps or {}).items()},
            uncertain_delivery=self.UncertainDelivery,
        )


class QuietHoursView(BaseModel):
    """Quiet hours as stored."""

    Start: str
    End: str


class FrequencyCapView(BaseModel):
    """A cap as stored."""

    MaxNotifications: int
    PeriodHours: int

    @classmethod
    def of(cls, cap: FrequencyCap) -> FrequencyCapView:
        """The view of a cap."""
        return cls(MaxNotifications=cap.max_notifications, PeriodHours=cap.period_hours)


def _hh_mm(value: time) -> str:
    return value.strftime("%H:%M")


class DeliveryPolicyResponse(BaseModel):
    """An app's delivery policy (``IsDefault``: none was set)."""

    MobileAppId: str
    DefaultTimeZone: str
    DefaultTimeZoneResolved: str
    QuietHours: QuietHoursView | None
    FrequencyCap: FrequencyCapView | None
    CategoryCaps: dict[str, FrequencyCapView]
    UncertainDelivery: UncertainDelivery
    IsDefault: bool
    UpdatedAt: datetime | None

    @classmethod
    def from_policy(cls, app_id: str, policy: DeliveryPolicy | None, resolved_zone: str) -> DeliveryPolicyResponse:
        """The view of a stored policy."""
        shown = policy or DeliveryPolicy()
        quiet = shown.quiet_hours
        return cls(
            MobileAppId=app_id,
            DefaultTimeZone=shown.default_time_zone,
            DefaultTimeZoneResolved=resolved_zone,
            QuietHours=QuietHoursView(Start=_hh_mm(quiet.start), End=_hh_mm(quiet.end)) if quiet else None,
            FrequencyCap=FrequencyCapView.of(shown.frequency_cap) if shown.frequency_cap else None,
            CategoryCaps={name: FrequencyCapView.of(cap) for name, cap in shown.category_caps.items()},
            UncertainDelivery=shown.uncertain_delivery,
            IsDefault=policy is None,
            UpdatedAt=shown.updated_at,
        )
