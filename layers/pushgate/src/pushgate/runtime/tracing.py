"""The tracing switch: with tracing off, Powertools' Tracer over a provider of no-op segments.

**Replaces** Powertools' own switch-off, ``Tracer(disabled=True)`` (or ``POWERTOOLS_TRACE_DISABLED``):
that Tracer still builds its default provider, the X-Ray SDK's recorder, and imports
``aws_xray_sdk`` to tell it to hand out dummy segments. Here the Tracer gets
:class:`UntracedProvider` instead: every segment is a no-op and nothing is patched, so the
decorators (``capture_lambda_handler``, ``capture_method``) run the function and nothing else.
Whether tracing is on is decided by :func:`pushgate.config.tracing_enabled` (the template's
``Tracing`` parameter and Powertools' own rules).

**Saves** importing the X-Ray SDK at every cold start with tracing off (its recorder builds an
X-Ray botocore client for sampling as it is imported): 489 ms for ``Tracer(disabled=True)``
against under 0.1 ms for a Tracer over this provider, with botocore and the ``Tracer`` class
already loaded (median of 15 fresh processes, ``python -m bench.forks``, on a 2-core machine under
load: compare the two, not the absolute numbers; the run is in docs/decisions.md).

**Parity test**: ``tests/unit/test_tracing_parity.py`` runs the same decorated handler, methods
(plain, async, generator, context manager), annotations and metadata under Powertools'
``Tracer(disabled=True)`` and under this tracer, each in a fresh interpreter: the same results and
the same exceptions. ``tests/unit/test_import_boundaries.py`` checks the switch itself (with
tracing on in Lambda the X-Ray SDK is used; with the template's ``PassThrough`` it is never imported).

**Can go** when Powertools' disabled Tracer stops importing the X-Ray SDK (or the project turns
tracing on everywhere it runs, paying the import anyway).
"""

from __future__ import annotations

from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.tracing.base import BaseProvider, BaseSegment

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


def build_tracer(*, enabled: bool) -> Tracer:
    """Powertools' Tracer (the X-Ray SDK's recorder) when ``enabled``; otherwise one over :class:`UntracedProvider`."""
    if enabled:
        return Tracer()
    # ``disabled`` is passed as False only so Powertools does not import the X-Ray SDK to switch it
    # off: the provider records nothing and patches nothing, so nothing is traced either way.
    untraced = Tracer(provider=UntracedProvider(), auto_patch=False, disabled=False)
    untraced.disabled = True
    return untraced
