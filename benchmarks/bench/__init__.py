"""`make bench`: the benchmark at 100,000 tickets (see benchmarks/README.md)."""

#: Bumped whenever the generated data changes shape: databases of an older version are generated again.
GENERATOR_VERSION = 8

#: The share of the generated tickets open or pending (``generate.generate(backlog=...)``), by default.
DEFAULT_BACKLOG = 0.2
