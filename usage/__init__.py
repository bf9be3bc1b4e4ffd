"""Use it or lose it: the credit history, the spending pace and what will expire unused
(`domain`, pure maths and the history store), the report shared by `/usage` and the digest
(`chat`), and its embeds and chart (`render`). Its cog is `cogs/usage.py`."""
