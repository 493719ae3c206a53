"""`make bench`: the benchmark at 100,000 tickets (see benchmarks/README.md)."""

#: Bumped whenever the generated data changes shape: databases of an older version are generated again.
GENERATOR_VERSION = 6
