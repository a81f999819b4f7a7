"""The only Logger, Tracer and Metrics instances; every module imports them from here.

Service name and namespace come from ``POWERTOOLS_SERVICE_NAME`` and
``POWERTOOLS_METRICS_NAMESPACE`` set in ``template.yaml`` Globals.

With tracing off (see :func:`pushgate.config.tracing_enabled`), the Tracer gets a provider of
no-op segments: Powertools' default provider is the X-Ray SDK's recorder, and importing it costs
about 100 ms of every cold start only to hand out dummy segments.

Token lifecycle metrics that carry the app are written at once, as their own EMF log line:
``TokensMarkedInvalid`` with an ``AppId`` dimension is what the template's alarm watches: many
tokens of one app turning invalid at once points to a credential or environment mix-up (a
sandbox build's tokens sent to production, say) rather than to users leaving.
"""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

from pushgate.config import tracing_enabled

if TYPE_CHECKING:
    import numbers
    import traceback
    from collections.abc import AsyncIterator, Iterator, Sequence


class _UntracedSegment(BaseSegment):
    """A segment that records nothing."""

    def close(self, end_time: int | None = None) -> None:
        """Nothing to close."""

    def add_subsegment(self, subsegment: Any) -> None:
        """Nothing is recorded."""

    def remove_subsegment(self, subsegment: Any) -> None:
        """Nothing is recorded."""

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        """Nothing is recorded."""

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Nothing is recorded."""

    def add_exception(
        self, exception: BaseException, stack: list[traceback.StackSummary], remote: bool = False
    ) -> None:
        """Nothing is recorded."""


class UntracedProvider(BaseProvider):
    """The Tracer's provider when tracing is off: every segment is a no-op, nothing is patched."""

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[BaseSegment]:
        """A no-op segment for the block."""
        yield _UntracedSegment()

    @asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> AsyncIterator[BaseSegment]:
        """A no-op segment for the block."""
        yield _UntracedSegment()

    def put_annotation(self, key: str, value: str | numbers.Number | bool) -> None:
        """Nothing is recorded."""

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        """Nothing is recorded."""

    def patch(self, modules: Sequence[str]) -> None:
        """Nothing is patched."""

    def patch_all(self) -> None:
        """Nothing is patched."""


def _build_tracer() -> Tracer:
    if tracing_enabled():
        return Tracer()
    # ``disabled`` is passed as False only so Powertools does not import the X-Ray SDK to switch it
    # off: the provider records nothing and patches nothing, so nothing is traced either way.
    untraced = Tracer(provider=UntracedProvider(), auto_patch=False, disabled=False)
    untraced.disabled = True
    return untraced


logger = Logger()
tracer = _build_tracer()
metrics = Metrics()

TOKENS_MARKED_INVALID = "TokensMarkedInvalid"


def count_tokens_marked_invalid(app_id: str, count: int = 1) -> None:
    """Emits ``TokensMarkedInvalid`` for one app (dimensions ``AppId`` and ``service``)."""
    if count <= 0:
        return
    with single_metric(name=TOKENS_MARKED_INVALID, unit=MetricUnit.Count, value=count) as metric:
        metric.add_dimension(name="AppId", value=app_id)
