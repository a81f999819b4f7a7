"""DynamoDB adapters over the single main table."""
