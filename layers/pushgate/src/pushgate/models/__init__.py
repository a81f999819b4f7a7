"""Domain entities shared by services and adapters."""
