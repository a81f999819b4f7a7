"""Pushgate benchmarks: `make bench` runs every workload (see bench/run.py) and writes bench/results/."""
