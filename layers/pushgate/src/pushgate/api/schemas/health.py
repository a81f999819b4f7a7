"""Body of ``GET /health``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from pushgate.services.health import HealthReport


class HealthResponse(BaseModel):
    """Health of the deployment."""

    Status: Literal["ok", "degraded"]
    Version: str
    Table: Literal["reachable", "unreachable"]

    @classmethod
    def from_report(cls, report: HealthReport) -> HealthResponse:
        """Maps the service's report to the body."""
        return cls(
            Status="ok" if report.healthy else "degraded",
            Version=report.version,
            Table="reachable" if report.table_reachable else "unreachable",
        )
