"""The delivery worker: sends delivery jobs from the delivery queue through APNs and FCM.

Each SQS record is one job of many devices, and the event source hands over one record per
invocation, so a worker that dies holds back only its own job. A job that cannot be run now
(DynamoDB, SQS or Secrets Manager failing) is reported as a batch item failure so SQS redelivers
it; its claim and checkpoints decide on redelivery what may still be sent (see
``pushgate.services.sends.delivery``).
"""

# First, before anything imports pydantic: Powertools' batch utility then skips loading its parser
# models (see pushgate.api.sqs_worker).
from pushgate.api.sqs_worker import sqs_worker  # isort: split

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pushgate import deps
from pushgate.models.job_wire import read_job_message
from pushgate.models.send import DeliveryJob
from pushgate.observability import metrics


def deliver(job: DeliveryJob, record: SQSRecord) -> None:
    report = deps.delivery_service().run(job)
    metrics.add_metric(name="NotificationsSent", unit="Count", value=report.sent)
    metrics.add_metric(name="NotificationsNotSent", unit="Count", value=report.not_sent)
    if report.retried:
        metrics.add_metric(name="NotificationsRetried", unit="Count", value=report.retried)
    if report.parked:
        metrics.add_metric(name="NotificationsParked", unit="Count", value=report.parked)
    if report.uncertain:
        metrics.add_metric(name="NotificationsUncertain", unit="Count", value=report.uncertain)
    if report.resent:
        metrics.add_metric(name="NotificationsResentCollapsed", unit="Count", value=report.resent)


lambda_handler = sqs_worker(read_job_message, deliver, kind="delivery")
