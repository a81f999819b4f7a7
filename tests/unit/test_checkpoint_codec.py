"""The stored form of a delivery job's checkpoint: what it reads back, what it weighs, what it reads from before."""

from __future__ import annotations

import json
import random
import zlib

import pytest

from pushgate.adapters.dynamodb.delivery_progress import decode_fates, encode_fates
from pushgate.models.delivery_progress import DeviceFate, FateKind, JobProgress
from pushgate.models.push import Verdict

DELIVERED = DeviceFate(FateKind.ANSWERED, verdict=Verdict.DELIVERED)
RETRY = DeviceFate(FateKind.ANSWERED, verdict=Verdict.RETRY, reason="TooManyRequests", retry_after=3.5)
GONE = DeviceFate(FateKind.ANSWERED, verdict=Verdict.TOKEN_INVALID, reason="Unregistered")
PARKED = DeviceFate(FateKind.PARKED, reason="InvalidProviderToken")


@pytest.mark.parametrize("seed", range(5))
def test_any_checkpoint_reads_back_as_it_was_written(seed: int) -> None:
    # Given a job of shuffled devices with every kind of fate, and a window of the undecided ones
    chance = random.Random(seed)
    devices = chance.randrange(1, 3000)
    order = list(range(devices))
    chance.shuffle(order)
    decided = order[: chance.randrange(devices + 1)]
    fates = {index: chance.choice([DELIVERED, DELIVERED, RETRY, GONE, PARKED]) for index in decided}
    window = tuple(sorted(order[len(decided) :][:500]))
    progress = JobProgress(owner="run-1", fates=fates, window=window)

    # When it is stored and read back, then nothing is lost or added
    assert decode_fates("run-1", encode_fates(progress)) == progress


def test_a_checkpoint_of_2000_randomly_interleaved_devices_stays_under_1_kb() -> None:
    # Given 2,000 devices of two platforms in random order: 1,500 delivered, one platform's 500 on the wire
    chance = random.Random(7)
    order = list(range(2000))
    chance.shuffle(order)
    progress = JobProgress(owner="run-1", fates=dict.fromkeys(order[:1500], DELIVERED), window=tuple(order[1500:]))

    # Then its stored form is two bitmaps' worth, not a record a device
    assert len(encode_fates(progress)) < 700


def test_a_checkpoint_written_before_the_bitmaps_reads_as_it_was() -> None:
    # Given the earlier form: zlib-compressed JSON, one record a device
    records = [[0, "a", "delivered"], [1, "a", "retry", "TooManyRequests", 3.5], [2, "p", None, "X"]]
    document = {"f": records, "w": [3, 4]}
    stored = zlib.compress(json.dumps(document).encode(), 9)

    # When it is read, then every fate and the window are as they were
    progress = decode_fates("run-0", stored)
    assert progress.fates == {0: DELIVERED, 1: RETRY, 2: DeviceFate(FateKind.PARKED, reason="X")}
    assert progress.window == (3, 4)
