"""Benchmarks: `python -m bench` runs them all with small-ish settings; `python -m bench.<name>`
runs one with its own defaults. Each module exposes `main(argv)` and prints a table."""
