"""The scheduled token cleanup: purge ``Invalid`` and ``Stale`` devices after their grace, mark ``Stale`` ones.

A run reads only devices whose next step is due, from ``GSI1`` (``DEVSTATE#<status>#<shard>``,
sorted by due time), in three phases: purge due ``Invalid`` devices, purge due ``Stale`` devices,
mark due ``Active`` devices ``Stale``. Every write is a compare-and-set on what was read, so a token
registered again after its verdict is never purged, and a change's count is only taken when its
write applied: two runs at once cannot count a device twice.

A run holds a lease (one state item) while it works, stops before its time limit, and stores a
cursor (its ``as_of`` moment, phase, shard and the index position of the last device it handled).
The next invocation resumes that run with the same ``as_of`` before it starts a new one. A dry run
takes no lease, writes nothing and reports what a run would change, per app, action and reason.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pushgate.ids import parse_uuid
from pushgate.models.device import DeviceStatus
from pushgate.models.token_lifecycle import CleanupAction, TokenPolicy, due_at, next_step
from pushgate.observability import logger
from pushgate.services.apps.app_policies import replace_app_policy
from pushgate.services.apps.mobile_apps import MobileAppStores, find_mobile_app
from pushgate.services.apps.orgs import get_org
from pushgate.services.token_cleanup.ports import CleanupStore, DueDevice, DueQuery, PolicySource, TokenPolicyStore

#: The phases of a run, in order: which status's due devices each one reads.
PHASES: tuple[DeviceStatus, ...] = (DeviceStatus.INVALID, DeviceStatus.STALE, DeviceStatus.ACTIVE)
#: Devices read per index page (each handled one at a time, the time limit checked before each).
PAGE_SIZE = 100
#: Time kept in hand when stopping: the cursor write and the lease release must fit in it.
SAFETY_MARGIN_MS = 10_000
#: A crashed run's lease outlives its invocation by this much before another run may take it.
LEASE_MARGIN = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class CleanupCursor:
    """Where a run is, and what it changed so far (stored between invocations as JSON).

    Attributes:
        run_id: The run.
        as_of: The moment the run judges devices at (kept when it resumes).
        started_at: When its first invocation started.
        phase: Index into ``PHASES``.
        shard: The shard of the phase.
        start_key: Index position after which to continue (``None``: the shard's start).
        changes: ``"<orgId>|<appId>|<action>|<reason>"`` → devices changed.
        skipped: Due devices left alone (changed since read, registered again, not due any more).
        reindexed: Devices whose due time moved (their app's policy changed).
    """

    run_id: str
    as_of: datetime
    started_at: datetime
    phase: int = 0
    shard: int = 0
    start_key: dict[str, str] | None = None
    changes: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    reindexed: int = 0

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "RunId": self.run_id,
                "AsOf": self.as_of.isoformat(),
                "StartedAt": self.started_at.isoformat(),
                "Phase": self.phase,
                "Shard": self.shard,
                "StartKey": self.start_key,
                "Changes": dict(self.changes),
                "Skipped": self.skipped,
                "Reindexed": self.reindexed,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> CleanupCursor:
        """Reads the stored form."""
        plain = json.loads(text)
        return cls(
            run_id=str(plain["RunId"]),
            as_of=datetime.fromisoformat(plain["AsOf"]),
            started_at=datetime.fromisoformat(plain["StartedAt"]),
            phase=int(plain["Phase"]),
            shard=int(plain["Shard"]),
            start_key=plain.get("StartKey"),
            changes=Counter({str(k): int(v) for k, v in plain.get("Changes", {}).items()}),
            skipped=int(plain.get("Skipped", 0)),
            reindexed=int(plain.get("Reindexed", 0)),
        )


@dataclass(frozen=True)
class ChangeCount:
    """How many devices of one app one action changed for one reason."""

    org_id: str
    app_id: str
    action: CleanupAction
    reason: str
    count: int


@dataclass
class CleanupReport:
    """What one invocation did (or, in a dry run, would do).

    Attributes:
        run_id: The run (``None`` when the invocation did not run: lease held, nothing to resume).
        as_of: The moment devices were judged at.
        dry_run: Nothing was written.
        complete: The run went through every phase (``False``: it stopped at its time limit).
        resumed: The invocation continued a run an earlier one started.
        skipped_reason: Why the invocation did nothing, if it did nothing.
        changes: The run's changes so far per app, action and reason (cumulative across invocations).
        purged: Devices this invocation purged.
        marked_stale: Devices this invocation marked ``Stale``.
        reindexed: Devices whose due time this invocation moved.
        skipped: Due devices this invocation left alone.
    """

    run_id: str | None
    as_of: datetime
    dry_run: bool
    complete: bool
    resumed: bool = False
    skipped_reason: str | None = None
    changes: list[ChangeCount] = field(default_factory=list)
    purged: int = 0
    marked_stale: int = 0
    reindexed: int = 0
    skipped: int = 0


class _LeaseLostError(Exception):
    """Another run took the lease (this one outlived it); stop without writing more."""


def _change_key(org_id: str, app_id: str, action: CleanupAction, reason: str) -> str:
    return "|".join((org_id, app_id, action.value, reason))


def _change_counts(changes: Counter[str]) -> list[ChangeCount]:
    counts = []
    for key, count in sorted(changes.items()):
        org_id, app_id, action, reason = key.split("|", 3)
        counts.append(ChangeCount(org_id, app_id, CleanupAction(action), reason, count))
    return counts


class TokenCleanup:
    """Runs the cleanup (see the module docstring).

    Args:
        store: Devices, lease and cursor.
        policies: Apps' token policies.
        now: Clock.
        page_size: Devices per index page.
        safety_margin_ms: Remaining time at which an invocation stops.
    """

    def __init__(
        self,
        *,
        store: CleanupStore,
        policies: PolicySource,
        now: Callable[[], datetime] = _now,
        page_size: int = PAGE_SIZE,
        safety_margin_ms: int = SAFETY_MARGIN_MS,
    ) -> None:
        self._store = store
        self._policies = policies
        self._now = now
        self._page_size = page_size
        self._margin_ms = safety_margin_ms

    def run(self, *, remaining_ms: Callable[[], int], owner: str, resume_only: bool = False) -> CleanupReport:
        """One invocation of the scheduled run: resume the stored run, or start one (unless ``resume_only``).

        Args:
            remaining_ms: Milliseconds the invocation has left (``context.get_remaining_time_in_millis``).
            owner: This invocation's id (the lease names it).
            resume_only: Only continue an unfinished run (the frequent continuation schedule).

        Returns:
            What the invocation did.
        """
        now = self._now()
        state = self._store.acquire_lease(
            owner, now=now, hold=timedelta(milliseconds=max(remaining_ms(), 0)) + LEASE_MARGIN
        )
        if state is None:
            logger.info("token cleanup skipped: another run holds the lease")
            return CleanupReport(
                run_id=None, as_of=now, dry_run=False, complete=False, skipped_reason="another run holds the lease"
            )
        stored = state.get("cursor")
        resumed = isinstance(stored, str) and bool(stored)
        if resumed:
            cursor = CleanupCursor.from_json(str(stored))
        elif resume_only:
            self._store.release(owner, cursor=None, last_run=None)
            return CleanupReport(
                run_id=None, as_of=now, dry_run=False, complete=True, skipped_reason="no unfinished run to resume"
            )
        else:
            cursor = CleanupCursor(run_id=str(uuid.uuid4()), as_of=now, started_at=now)
        report = CleanupReport(run_id=cursor.run_id, as_of=cursor.as_of, dry_run=False, complete=False, resumed=resumed)
        try:
            report.complete = self._sweep(cursor, report, remaining_ms=remaining_ms, owner=owner, dry_run=False)
        except _LeaseLostError:
            logger.warning("token cleanup lost its lease; stopping", extra={"run_id": cursor.run_id})
            report.changes = _change_counts(cursor.changes)
            return report
        report.changes = _change_counts(cursor.changes)
        summary = None
        if report.complete:
            summary = json.dumps(
                {
                    "RunId": cursor.run_id,
                    "AsOf": cursor.as_of.isoformat(),
                    "StartedAt": cursor.started_at.isoformat(),
                    "FinishedAt": self._now().isoformat(),
                    "Changes": dict(cursor.changes),
                    "Skipped": cursor.skipped,
                    "Reindexed": cursor.reindexed,
                },
                separators=(",", ":"),
            )
        self._store.release(owner, cursor=None if report.complete else cursor.to_json(), last_run=summary)
        logger.info(
            "token cleanup invocation finished",
            extra={
                "run_id": cursor.run_id,
                "complete": report.complete,
                "resumed": resumed,
                "purged": report.purged,
                "marked_stale": report.marked_stale,
                "reindexed": report.reindexed,
                "skipped": report.skipped,
            },
        )
        return report

    def preview(
        self, *, remaining_ms: Callable[[], int], org_id: str | None = None, app_id: str | None = None
    ) -> CleanupReport:
        """What a run starting now would change (per app, action and reason), changing nothing.

        Args:
            remaining_ms: Time left; a preview that runs out says ``complete=False``.
            org_id: Only this org's devices (the due part of the index is read whole and filtered).
            app_id: Only this app's devices.
        """
        only = {name: value for name, value in (("org_id", org_id), ("app_id", app_id)) if value}
        now = self._now()
        cursor = CleanupCursor(run_id=f"preview-{uuid.uuid4()}", as_of=now, started_at=now)
        report = CleanupReport(run_id=cursor.run_id, as_of=now, dry_run=True, complete=False)
        report.complete = self._sweep(
            cursor, report, remaining_ms=remaining_ms, owner="", dry_run=True, only=only or None
        )
        report.changes = _change_counts(cursor.changes)
        return report

    def _sweep(
        self,
        cursor: CleanupCursor,
        report: CleanupReport,
        *,
        remaining_ms: Callable[[], int],
        owner: str,
        dry_run: bool,
        only: Mapping[str, str] | None = None,
    ) -> bool:
        """Walks the phases and shards from the cursor; returns whether it reached the end."""
        policies: dict[tuple[str, str], TokenPolicy] = {}
        while cursor.phase < len(PHASES):
            status = PHASES[cursor.phase]
            while cursor.shard < self._store.shards:
                while True:
                    if remaining_ms() < self._margin_ms:
                        return False
                    page, next_key = self._store.due_page(
                        DueQuery(status, cursor.shard, cursor.as_of, only),
                        start_key=cursor.start_key,
                        limit=self._page_size,
                    )
                    for due in page:
                        if remaining_ms() < self._margin_ms:
                            self._save(cursor, owner, dry_run)
                            return False
                        self._handle(due, cursor, report, policies, dry_run=dry_run)
                        cursor.start_key = due.position
                    cursor.start_key = next_key
                    if next_key is None:
                        break
                    self._save(cursor, owner, dry_run)
                cursor.shard += 1
                self._save(cursor, owner, dry_run)
            cursor.phase += 1
            cursor.shard = 0
        return True

    def _save(self, cursor: CleanupCursor, owner: str, dry_run: bool) -> None:
        if dry_run:
            return
        if not self._store.save_cursor(owner, cursor.to_json()):
            raise _LeaseLostError

    def _handle(
        self,
        due: DueDevice,
        cursor: CleanupCursor,
        report: CleanupReport,
        policies: dict[tuple[str, str], TokenPolicy],
        *,
        dry_run: bool,
    ) -> None:
        device = due.device
        app = (device.org_id, device.app_id)
        if app not in policies:
            policies[app] = self._policies.policy_for(*app)
        policy = policies[app]
        step = next_step(device, policy, cursor.as_of)
        if step is None:
            if not dry_run and due_at(device, policy) > cursor.as_of and self._store.reindex(due, policy):
                cursor.reindexed += 1
                report.reindexed += 1
                return
            cursor.skipped += 1
            report.skipped += 1
            return
        action, reason = step
        if dry_run:
            applied = True
        elif action is CleanupAction.MARK_STALE:
            applied = self._store.mark_stale(due, at=self._now(), policy=policy)
        else:
            applied = self._store.purge(due)
        if not applied:
            # Registered again, marked or purged by someone else since the index was read.
            cursor.skipped += 1
            report.skipped += 1
            return
        cursor.changes[_change_key(device.org_id, device.app_id, action, reason)] += 1
        if action is CleanupAction.MARK_STALE:
            report.marked_stale += 1
        else:
            report.purged += 1


def preview_scope(org_id: str, app_id: str | None, *, stores: MobileAppStores) -> tuple[str, str | None]:
    """The org, and the app when one is named, that a cleanup preview reports on.

    Returns:
        The canonical org id and app id (``None``: every app of the org).

    Raises:
        InvalidRequestError: ``AppId`` is not a UUID.
        NotFoundError: No such org, or no such app in it (another org's app included).
    """
    if app_id is None:
        return get_org(org_id, orgs=stores.orgs).org_id, None
    app = find_mobile_app(org_id, parse_uuid(app_id, "AppId"), stores=stores)
    return app.org_id, app.app_id


def set_token_policy(
    org_id: str,
    app_id: str,
    policy: TokenPolicy,
    *,
    stores: MobileAppStores,
    policies: TokenPolicyStore,
    now: Callable[[], datetime] = _now,
) -> tuple[str, TokenPolicy]:
    """Replaces an app's token policy.

    A longer stale window or grace applies at once (the cleanup re-reads the policy of every due
    device and moves it later); a shorter one reaches each device when it is next registered,
    marked or refreshed, within ``POLICY_CACHE_SECONDS`` of the change.

    Raises:
        NotFoundError: No such org, or no such app in it.
    """
    app_id, stored = replace_app_policy(org_id, app_id, policy, stores=stores, policies=policies, now=now)
    logger.info(
        "token policy changed",
        extra={
            "app_id": app_id,
            "stale_after_days": stored.stale_after_days,
            "invalid_grace_days": stored.invalid_grace_days,
            "stale_grace_days": stored.stale_grace_days,
        },
    )
    return app_id, stored
