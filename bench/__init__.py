"""`make bench`: Afterglow's benchmarks, printed as one table (and kept in var/bench/latest.txt).

Run it as `python -m bench [SECTION ...]`; see `bench/__main__.py`. A benchmark is not a test:
nothing here asserts on a timing.
"""
