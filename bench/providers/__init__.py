"""Provider-transport benchmark (``python -m bench.providers``)."""
