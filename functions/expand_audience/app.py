"""The audience worker: reads the pages of broadcast and segment audiences from the audience queue.

A broadcast's record is one page of one shard of an app's device index; the worker packs the
page's devices into delivery jobs, enqueues them and the shard's next page, and counts the page
into the send. A segment send's record is one page of the org's people of a kind; the worker
enqueues the next page, fans the people matching the filter out per recipient and counts the page.
A page that cannot be done now (DynamoDB or SQS failing) is reported as a batch item failure so
SQS delivers it again (see ``pushgate.services.sends.audience`` and
``pushgate.services.sends.segment_sends`` for why that is safe).
"""

# First, before anything imports pydantic: Powertools' batch utility then skips loading its parser
# models (see pushgate.api.sqs_worker).
from pushgate.api.sqs_worker import sqs_worker  # isort: split

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import TypeAdapter

from pushgate import deps
from pushgate.models.send import AudiencePage, SegmentPage
from pushgate.observability import metrics
from pushgate.services.sends import audience, segment_sends

#: A broadcast page names a shard, a segment page a filter: each body validates as one of them.
PAGES: TypeAdapter[AudiencePage | SegmentPage] = TypeAdapter(AudiencePage | SegmentPage)


def expand(page: AudiencePage | SegmentPage, record: SQSRecord) -> None:
    # Quiet hours and schedules are judged on the delivery clock (the local runtime moves it).
    if isinstance(page, SegmentPage):
        devices = segment_sends.expand_segment_page(page, deps.segment_ports(), now=deps.clock())
    else:
        devices = audience.expand_page(page, deps.audience_ports(), now=deps.clock())
    metrics.add_metric(name="AudienceDevicesQueued", unit="Count", value=devices)


lambda_handler = sqs_worker(PAGES.validate_json, expand, kind="audience")
