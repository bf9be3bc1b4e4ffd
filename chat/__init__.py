"""What every Discord-facing part shares: answering an interaction within Discord's rules
(`replies`), which accounts a command is about (`accounts`, `lookup`), the guarded base of
every button and menu (`controls`), Discord's limits and formatting helpers."""
