"""The alerts without Discord: what is due (`due`, `conditions`), the rules per account, the
outbox and its delivery through a port, snoozes, acknowledgements and answers, and one check of
every account (`watcher`). Stores take the `state.Database`; nothing here imports discord."""
