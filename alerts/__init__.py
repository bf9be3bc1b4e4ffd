"""Expiry alerts: what is due (pure rules), where it is remembered (store), who checks (watcher).

No Discord imports here: core/ composes and posts what the watcher queues, and cogs/alerts.py
answers `/alerts`.
"""
