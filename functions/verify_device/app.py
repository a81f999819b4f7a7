"""The registration worker: verifies accepted device registrations from the registration queue.

Each SQS record is one registration; records that cannot be decided now (provider unanswered,
DynamoDB failing) are reported as batch item failures so SQS redelivers only them.
"""

# First, before anything imports pydantic: Powertools' batch utility then skips loading its parser
# models (see pushgate.api.sqs_worker).
from pushgate.api.sqs_worker import sqs_worker  # isort: split

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pushgate import deps
from pushgate.models.device import RegistrationJob
from pushgate.observability import metrics


def verify(job: RegistrationJob, record: SQSRecord) -> None:
    outcome = deps.device_verifier().run(job, receive_count=int(record.attributes.approximate_receive_count or 1))
    metrics.add_metric(name=f"Registrations{outcome.state.value}", unit="Count", value=1)


lambda_handler = sqs_worker(RegistrationJob.model_validate_json, verify, kind="registration")
