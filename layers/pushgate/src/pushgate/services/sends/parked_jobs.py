"""Puts delivery jobs parked on an app's failed credentials back in the delivery queue.

A job is parked per app and platform when the provider rejects the app's credentials (see
``pushgate.services.sends.delivery``). It goes back under a new job id, so its claim is fresh, and it
leaves the parking only once it is enqueued: a failure half way leaves the rest parked, never lost.
"""

from __future__ import annotations

from collections.abc import Callable

from pushgate.ids import new_id
from pushgate.models.device import DevicePlatform
from pushgate.services.sends.ports import DeliveryQueue, ParkedJobs


def requeue_parked_jobs(
    org_id: str,
    app_id: str,
    *,
    parked: ParkedJobs,
    queue: DeliveryQueue,
    platform: DevicePlatform | None = None,
    make_id: Callable[[], str] = new_id,
) -> int:
    """Enqueues an app's parked jobs (of one platform, or all) and forgets each once it is enqueued.

    Returns:
        The number of devices put back.

    Raises:
        DependencyError: DynamoDB or SQS failed (jobs not yet re-enqueued stay parked).
    """
    resumed = 0
    for job in parked.take(org_id, app_id):
        if platform is not None and any(device.platform is not platform for device in job.devices):
            continue
        fresh = job.model_copy(update={"job_id": f"{job.job_id}.p{make_id()[:8]}", "attempt": 0})
        queue.send([fresh])
        parked.remove(job)
        resumed += len(job.devices)
    return resumed


class QueueParkedJobResumer:
    """The ``ParkedJobResumer`` of the mobile app use cases, over the parked jobs and the delivery queue.

    Args:
        parked: The parked jobs.
        queue: The delivery queue.
    """

    def __init__(self, parked: ParkedJobs, queue: DeliveryQueue) -> None:
        self._parked = parked
        self._queue = queue

    def resume(self, org_id: str, app_id: str, platform: DevicePlatform) -> int:
        """Puts the app's jobs parked for ``platform`` back in the delivery queue; returns how many devices."""
        return requeue_parked_jobs(org_id, app_id, parked=self._parked, queue=self._queue, platform=platform)
