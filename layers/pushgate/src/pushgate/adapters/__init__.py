"""Adapters of the services' ports: DynamoDB (``dynamodb``), SQS, Secrets Manager, the webhook caller
and send idempotency. Ports live beside the use cases that own them (``services/<capability>/ports.py``)."""
