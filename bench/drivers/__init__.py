"""Client processes of the delivery benchmark: each measures one client at one in-flight limit.

A driver reads one JSON configuration argument, sends, and prints one JSON line (a ``Cell``).
"""
