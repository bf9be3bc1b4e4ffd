"""Expiry alerts: what is due (pure rules), where it is remembered (store), who checks (watcher).

No Discord imports here: the cog in cogs/alerts.py renders and sends what the watcher queues.
"""
