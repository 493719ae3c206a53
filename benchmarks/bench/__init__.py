"""`make bench`: the benchmark at 100,000 tickets (see benchmarks/README.md)."""
