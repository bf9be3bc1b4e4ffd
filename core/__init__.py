"""Discord glue: the client and its command sync, what the cogs share (account choice,
replies, access, the usage report), the alert channel and the expiry checks, and the
operations side of the process: logging, the /healthz and /metrics endpoint, metrics."""
