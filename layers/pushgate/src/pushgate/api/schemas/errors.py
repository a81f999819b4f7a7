"""The error body every route returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    """One problem with one input field."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    field_path: str = Field(alias="Field")
    problem: str = Field(alias="Problem")


class ErrorInfo(BaseModel):
    """What went wrong, for machines (``Code``) and people (``Message``)."""

    Code: str
    Message: str
    Details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """The JSON body of every 4xx and 5xx response."""

    Error: ErrorInfo
