"""Discord-side glue shared by the cogs: account choice, replies, logging."""
