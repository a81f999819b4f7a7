"""Whether this deployment can serve: its dependencies answer."""

from __future__ import annotations

from dataclasses import dataclass

from pushgate import __version__
from pushgate.errors import DependencyError
from pushgate.services.ports import Pingable


@dataclass(frozen=True)
class HealthReport:
    """The outcome of a health check."""

    version: str
    table_reachable: bool

    @property
    def healthy(self) -> bool:
        """Whether every dependency answered."""
        return self.table_reachable


def check_health(*, table: Pingable) -> HealthReport:
    """Checks the dependencies.

    Args:
        table: The main table.

    Returns:
        What answered.
    """
    try:
        table.ping()
    except DependencyError:
        return HealthReport(version=__version__, table_reachable=False)
    return HealthReport(version=__version__, table_reachable=True)
