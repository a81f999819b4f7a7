"""Pushgate's shared layer: domain models, services, adapters and provider clients."""

__version__ = "0.1.0"
