"""Persistence: ports (``base``) and their DynamoDB adapters (``dynamodb``)."""
