"""Creates the template's tables and queues in DynamoDB Local and moto.

Properties are taken from ``template.yaml`` as written (keys, indexes, TTL, visibility timeouts,
redrive policies), so local resources cannot drift from the deployed ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from pushgate_local.template import QueueSpec, Resolver, StackSpec, TableSpec

_CREATE_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
    "ProvisionedThroughput",
    "StreamSpecification",
)
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
)


@dataclass
class ProvisionedResources:
    """What was created, by logical id."""

    table_names: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    table_arns: dict[str, str] = field(default_factory=dict)
    bucket_names: dict[str, str] = field(default_factory=dict)


def _create_table(client: Any, spec: TableSpec, name: str, resolver: Resolver) -> str:
    properties = resolver.resolve(spec.properties)
    request = {key: properties[key] for key in _CREATE_TABLE_PROPERTIES if key in properties}
    request.setdefault("BillingMode", "PAY_PER_REQUEST")
    description = client.create_table(TableName=name, **request)["TableDescription"]
    client.get_waiter("table_exists").wait(TableName=name)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
        )
    return str(description["TableArn"])


def _queue_order(queues: list[QueueSpec]) -> list[QueueSpec]:
    # Dead-letter queues must exist before the queues that redrive into them.
    return sorted(queues, key=lambda queue: queue.dead_letter_logical_id is not None)


def provision(
    stack: StackSpec, resolver: Resolver, *, prefix: str, dynamodb_url: str, aws_url: str, region: str
) -> ProvisionedResources:
    """Creates every table, queue and bucket of the stack and records their names in the resolver.

    Args:
        stack: The template's specs.
        resolver: Gets ``!Ref``/``!GetAtt`` values for the created resources.
        prefix: Prefix of local physical names (``pushgate-local``).
        dynamodb_url: DynamoDB Local's endpoint.
        aws_url: moto server's endpoint.
        region: The region the clients use.

    Returns:
        The created resources.
    """
    created = ProvisionedResources()
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=region)  # noqa: S106
    dynamodb = session.client("dynamodb", endpoint_url=dynamodb_url)
    sqs = session.client("sqs", endpoint_url=aws_url)

    for table in stack.tables:
        name = f"{prefix}-{table.logical_id}"
        arn = _create_table(dynamodb, table, name, resolver)
        created.table_names[table.logical_id] = name
        created.table_arns[table.logical_id] = arn
        resolver.refs[table.logical_id] = name
        resolver.attributes[f"{table.logical_id}.Arn"] = arn

    for queue in _queue_order(stack.queues):
        properties = resolver.resolve(queue.properties)
        attributes: dict[Any, str] = {
            key: str(properties[key]).lower() if isinstance(properties[key], bool) else str(properties[key])
            for key in _QUEUE_ATTRIBUTES
            if key in properties
        }
        if "RedrivePolicy" in properties:
            attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
        name = f"{prefix}-{queue.logical_id}"
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        created.queue_urls[queue.logical_id] = url
        created.queue_arns[queue.logical_id] = arn
        resolver.refs[queue.logical_id] = url
        resolver.attributes[f"{queue.logical_id}.Arn"] = arn
        resolver.attributes[f"{queue.logical_id}.QueueName"] = name

    s3 = session.client("s3", endpoint_url=aws_url)
    for bucket in stack.buckets:
        # Bucket names are lower case; the prefix keeps two local stacks' apart as it does tables'.
        name = f"{prefix}-{bucket.logical_id}".lower()
        location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **location)
        created.bucket_names[bucket.logical_id] = name
        resolver.refs[bucket.logical_id] = name
        resolver.attributes[f"{bucket.logical_id}.Arn"] = f"arn:aws:s3:::{name}"
    return created
