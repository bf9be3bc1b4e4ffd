"""Benchmarks: the real bot process against the loopback useapi.net and Discord of `testbed`."""
