"""Interaction reporting (opens, tracked-link clicks) and insights."""
