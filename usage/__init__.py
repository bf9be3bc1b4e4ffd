"""Use it or lose it: credit history, spending pace and what will expire unused. Pure; no I/O."""
