"""Orgs, mobile app configurations, their access tokens and the live credential check."""
