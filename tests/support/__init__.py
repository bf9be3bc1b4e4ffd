"""Helpers only the tests use; the loopback servers both tests and benchmarks use are in
`testbed`."""
