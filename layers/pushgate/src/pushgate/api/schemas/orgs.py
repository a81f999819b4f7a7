"""Bodies of the org routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from pushgate.models.org import Org
from pushgate.text import SINGLE_LINE

OrgName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), SINGLE_LINE]


class CreateOrgRequest(BaseModel):
    """``POST /admin/v1/orgs``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    Name: OrgName


class OrgResponse(BaseModel):
    """An org as the API shows it."""

    OrgId: str
    Name: str
    CreatedAt: datetime

    @classmethod
    def from_org(cls, org: Org) -> OrgResponse:
        """Maps the domain entity to the response body.

        Args:
            org: The stored org.

        Returns:
            The body.
        """
        return cls(OrgId=org.org_id, Name=org.name, CreatedAt=org.created_at)


class OrgListResponse(BaseModel):
    """``GET /admin/v1/orgs``: one page of orgs, oldest first."""

    Orgs: list[OrgResponse]
    NextToken: str | None
