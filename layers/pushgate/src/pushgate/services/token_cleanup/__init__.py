"""Keeping tokens healthy: the scheduled token cleanup."""
