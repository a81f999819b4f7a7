"""The delivery worker's part of timing and fatigue, with fakes: caps per recipient (all of their
devices, once per send), a canceled send's jobs, and the reason a deferred notification carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pushgate.config import PacingPolicy, settings
from pushgate.models.delivery_timing import CapRule
from pushgate.models.device import DevicePlatform
from pushgate.models.send import Outcome
from pushgate.providers.pacing import ProjectRateLimiter
from pushgate.services.sends.delivery import DeliveryPorts, DeliveryService
from tests.unit.test_delivery import NOW, World, _device, _job

RULE = CapRule(scope="*", max_notifications=1, period_s=86_400)


@dataclass
class FakeCaps:
    """Admits each person once per window; a send already counted is admitted again."""

    counted: dict[str, set[str]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)

    def admit(
        self, org_id: str, app_id: str, user_id: str, *, send_id: str, at: datetime, rules: Sequence[CapRule]
    ) -> bool:
        self.calls.append((user_id, send_id))
        sends = self.counted.setdefault(user_id, set())
        if send_id in sends:
            return True
        if len(sends) >= min(rule.max_notifications for rule in rules):
            return False
        sends.add(send_id)
        return True


@dataclass
class FakeCancellations:
    canceled: set[str] = field(default_factory=set)

    def is_canceled(self, org_id: str, send_id: str) -> bool:
        return send_id in self.canceled


def _service(
    world: World, caps: FakeCaps | None = None, cancellations: FakeCancellations | None = None
) -> DeliveryService:
    ports = DeliveryPorts(
        sends=world.sends,  # type: ignore[arg-type]
        apps=world.apps,
        messages=world.messages,  # type: ignore[arg-type]
        queue=world.queue,
        parked=world.parked,
        devices=world.devices,
        credentials=world.credentials,
        counters=world.counters,  # type: ignore[arg-type]
        providers=world.providers,
        caps=caps,
        cancellations=cancellations,
    )
    return DeliveryService(
        ports, fcm_pacer=ProjectRateLimiter(settings(PacingPolicy)), now=lambda: NOW, jitter=lambda: 0.5
    )


def test_a_capped_recipient_gets_nothing_on_any_device_and_is_checked_once() -> None:
    world, caps = World(), FakeCaps(counted={"u1": {"an-earlier-send"}})
    job = _job(
        _device("u1", "aa01"), _device("u1", "fcm-u1", DevicePlatform.ANDROID), _device("u2", "aa02")
    ).model_copy(update={"caps": [RULE]})

    report = _service(world, caps).run(job)

    assert (report.sent, report.not_sent) == (1, 2)
    assert {r.device_token for r in world.providers.requests} == {"aa02"}
    reasons = {(e.user_id, e.token_sha256): e.reason for e in world.sends.ledger["00000"]}
    assert [reason for (user, _), reason in reasons.items() if user == "u1"] == ["CappedFrequency"] * 2
    assert sorted(caps.calls) == [("u1", job.send_id), ("u2", job.send_id)]


def test_a_job_without_caps_or_a_transactional_one_is_never_checked() -> None:
    world, caps = World(), FakeCaps(counted={"u1": {"other"}})
    report = _service(world, caps).run(_job(_device("u1", "aa01")))
    assert (report.sent, caps.calls) == (1, [])


def test_a_redelivered_job_admits_its_recipients_again_without_counting_twice() -> None:
    world, caps = World(), FakeCaps()
    job = _job(_device("u1", "aa01")).model_copy(update={"caps": [RULE]})
    _service(world, caps).run(job)
    again = _service(World(), caps).run(job.model_copy(update={"job_id": "00000.r1"}))
    assert again.sent == 1 and caps.counted == {"u1": {job.send_id}}


def test_a_canceled_send_records_canceled_and_calls_no_provider_or_cap() -> None:
    world, caps = World(), FakeCaps()
    job = _job(_device("u1", "aa01"), _device("u2", "aa02")).model_copy(update={"caps": [RULE]})

    report = _service(world, caps, FakeCancellations({job.send_id})).run(job)

    assert (report.sent, report.not_sent) == (0, 2)
    assert world.providers.requests == [] and caps.calls == []
    assert {(e.outcome, e.reason) for e in world.sends.ledger["00000"]} == {(Outcome.NOT_SENT, "Canceled")}


def test_a_deferred_notification_is_sent_with_the_quiet_hours_reason() -> None:
    world = World()
    report = _service(world).run(_job(_device("u1", "aa01")).model_copy(update={"deferred": True}))
    assert report.sent == 1
    [entry] = world.sends.ledger["00000"]
    assert (entry.outcome, entry.reason) == (Outcome.SENT, "DeferredQuietHours")
