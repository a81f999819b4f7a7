"""W6 waits for a send to be complete as the send record says it is, not for its counts alone."""

from datetime import UTC, datetime

from bench import w6
from pushgate.models.send import SendRecord

AT = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def _segment_send(**totals: int) -> SendRecord:
    return SendRecord(
        org_id="org",
        send_id="send",
        app_id="app",
        message_id="message",
        message_version=1,
        created_at=AT,
        recipients_accepted=1500,
        recipients_rejected=0,
        recipient_outcomes=0,
        jobs_total=10,
        **totals,
    )


def test_a_segment_whose_last_page_was_counted_before_an_earlier_one_is_not_yet_complete() -> None:
    # Pages are read in parallel: the last (4 pages in all) is counted, one earlier page is not, and
    # the devices counted so far are all sent.
    waiting = _segment_send(devices_targeted=2250, sent=2250, segment_pages=4, segment_pages_counted=3)
    assert not w6.sends_complete([waiting])
    done = _segment_send(devices_targeted=3000, sent=3000, segment_pages=4, segment_pages_counted=4)
    assert w6.sends_complete([done])
    assert not w6.sends_complete([done, None])  # a send whose record is not there yet


def test_a_phase_that_lost_duplicated_or_reached_others_is_named_with_its_counts() -> None:
    exact = {"check": {"lost": 0, "duplicated": 0, "unexpected": 0}}
    figures = {
        "broadcast": exact,
        "per_recipient": exact,
        "segment": {"check": {"lost": 0, "duplicated": 72, "unexpected": 0}},
    }

    assert w6.phases_not_exact(figures) == {"segment": "0 lost, 72 duplicated, 0 unexpected"}
    assert w6.phases_not_exact({"broadcast": exact, "per_recipient": exact}) == {}
