"""The load test of wagtail-support (``make load``, ``python -m benchmarks.load``); see README.md here."""
