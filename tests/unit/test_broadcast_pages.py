"""A broadcast page decides each person from the devices' copy of their person (``audience.plan_page``)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time

from pushgate.models.delivery_timing import DeliveryPolicy, QuietHours
from pushgate.models.device import DevicePlatform
from pushgate.models.directory import EntityType, Person, PersonAttributes
from pushgate.models.job_wire import job_message
from pushgate.models.message_template import MessageContent
from pushgate.models.push import PushMessage
from pushgate.models.send import AudienceMember, AudiencePage, DeliveryJob, JobDevice
from pushgate.services.messages.message_rendering import CompiledMessage
from pushgate.services.sends.audience import plan_page
from pushgate.services.sends.send_fanout import JOB_MAX_DEVICES

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)  # 13:30 in Berlin, 21:30 in Tokyo


class _People:
    """The directory: the people a page may read, and which keys it asked for."""

    def __init__(self, people: Sequence[Person] = ()) -> None:
        self.people = {(p.entity_type, p.person_id): p for p in people}
        self.asked: list[tuple[EntityType, str]] = []

    def get_many(self, org_id: str, refs: Sequence[tuple[EntityType, str]]) -> list[Person]:
        self.asked.extend(refs)
        return [self.people[ref] for ref in refs if ref in self.people]


def _page(*, personal: bool = False) -> AudiencePage:
    template = DeliveryJob(
        job_id="template",
        org_id="org",
        app_id="app",
        send_id="send",
        message_id="message",
        message_version=1,
        link_base="https://push.example.com/l/",
        messages=[PushMessage(title="Hi there", body="News")],
        devices=[],
    )
    policy = DeliveryPolicy(default_time_zone="Europe/Berlin", quiet_hours=QuietHours(start=time(21), end=time(8)))
    return AudiencePage(template=template, shard=3, page=2, policy=policy, personal=personal)


def _member(user_id: str, number: int = 0, **copy: object) -> AudienceMember:
    token = f"{number:064x}"
    return AudienceMember(
        user_id=user_id,
        platform=DevicePlatform.IOS,
        token=token,
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        stamped=True,
        **copy,  # type: ignore[arg-type]
    )


def _compiled(title: str = "Hi there") -> CompiledMessage:
    return CompiledMessage(MessageContent(name="News", title=title, body="News"))


def test_a_page_refuses_withdrawn_consent_tracks_with_consent_and_holds_quiet_hours_in_each_zone() -> None:
    members = [
        _member("tracked", 1, profile_type="contact", trackingconsent=True),
        _member("untracked", 2, profile_type="lead"),
        _member("declined", 3, profile_type="contact", pushconsent=False),
        _member("declined", 4, profile_type="contact", pushconsent=False),
        _member("in-tokyo", 5, profile_type="contact", timezone="Asia/Tokyo"),
        _member("anonymous", 6),
    ]
    people = _People()

    plan = plan_page(_page(), members, compiled=_compiled(), people=people, at=NOW)  # type: ignore[arg-type]

    assert people.asked == []  # a message that is not personal reads nobody
    assert [(e.user_id, e.reason) for e in plan.entries] == [("declined", "NoPushConsent")]
    (job,) = plan.jobs
    assert job.job_id == "03-000002-00"
    assert {(d.user_id, d.tracked) for d in job.devices} == {
        ("tracked", True),
        ("untracked", False),
        ("anonymous", False),
    }
    assert len(job.messages) == 1  # one shared notification for the whole job
    (held,) = plan.held
    assert [d.user_id for d in held.devices] == ["in-tokyo"]
    assert held.due_at == int(datetime(2026, 11, 20, 23, 0, tzinfo=UTC).timestamp())  # 08:00 in Tokyo
    assert (plan.devices, plan.deferred) == (4, 1)


def test_a_personal_message_reads_the_pages_consenting_people_once_each_and_names_them() -> None:
    ana = Person(
        org_id="org",
        entity_type=EntityType.LEAD,
        person_id="ana",
        attributes=PersonAttributes(firstname="Ana", locale="en-US"),
        created_at=NOW,
        modified_at=NOW,
    )
    members = [
        _member("ana", 1, profile_type="lead"),
        _member("ana", 2, profile_type="lead"),
        _member("declined", 3, profile_type="contact", pushconsent=False),
        _member("anonymous", 4),
    ]
    people = _People([ana])
    compiled = _compiled('Hi {{contact.firstname | default: "there"}}')
    assert compiled.is_personal and not _compiled().is_personal

    plan = plan_page(_page(personal=True), members, compiled=compiled, people=people, at=NOW)  # type: ignore[arg-type]

    assert people.asked == [(EntityType.LEAD, "ana")]  # the copy names the kind: one key, no read for the others
    (job,) = plan.jobs
    titles = {d.user_id: job.messages[d.message].title for d in job.devices}
    assert titles == {"ana": "Hi Ana", "anonymous": "Hi there"}


def test_a_full_page_of_ios_devices_is_one_job_under_the_queues_limit() -> None:
    members = [
        _member(str(uuid.UUID(int=n)), n, profile_type="contact", trackingconsent=True) for n in range(JOB_MAX_DEVICES)
    ]
    plan = plan_page(_page(), members, compiled=_compiled(), people=_People(), at=NOW)  # type: ignore[arg-type]
    (job,) = plan.jobs
    assert len(job.devices) == JOB_MAX_DEVICES
    assert len(job_message(job)) < 256 * 1024


def test_a_job_and_its_page_show_no_token_or_content_in_a_log_line() -> None:
    page = _page()
    device = _member("ana@example.com", 7)
    job = page.template.model_copy(
        update={
            "job_id": "000001",
            "devices": [
                JobDevice(
                    user_id=device.user_id,
                    platform=device.platform,
                    token=device.token,
                    token_sha256=device.token_sha256,
                    tracking_id="t",
                    message=0,
                )
            ],
        }
    )

    shown = [repr(job), str(job), f"{job}", repr(page), str(page)]

    assert shown[:2] == ["DeliveryJob(send_id='send', job_id='000001', devices=1)"] * 2
    assert repr(page) == "AudiencePage(send_id='send', shard=3, page=2)"
    for text in shown:
        assert device.token not in text
        assert "ana@example.com" not in text
        assert "Hi there" not in text
