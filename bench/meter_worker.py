"""Imported by each local function worker before its handler (``RuntimeConfig.worker_preload``):
meters the worker's DynamoDB and SQS calls into ``PUSHGATE_METER_DIR`` (see :mod:`bench.metering`)."""

from bench import metering

metering.install()
