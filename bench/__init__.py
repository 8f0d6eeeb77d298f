"""Benchmarks of the pages that grow with the organisation: `python -m bench` (`make bench`)."""
