"""Credit history, spending pace and what will expire unused: pure maths over snapshots, and
the store that keeps them (`history`). No Discord."""
