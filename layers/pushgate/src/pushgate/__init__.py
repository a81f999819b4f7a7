"""Pushgate's shared layer: domain models, services, repositories and provider clients."""

__version__ = "0.1.0"
