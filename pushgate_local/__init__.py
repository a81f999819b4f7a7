"""Pushgate's local runtime: the same handlers as in AWS, on DynamoDB Local, moto and a dev server.

Development tooling only; nothing here is deployed.
"""
