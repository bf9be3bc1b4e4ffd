"""Discord glue shared by the cogs (account choice, replies, the usage report), and the
operations side of the process: logging, the /healthz and /metrics endpoint, metrics."""
