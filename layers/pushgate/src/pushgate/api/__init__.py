"""The HTTP edge: resolver factory, error mapping and request/response schemas."""
