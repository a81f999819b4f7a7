"""Sends: fan-out to delivery jobs, the delivery worker, parked jobs."""
