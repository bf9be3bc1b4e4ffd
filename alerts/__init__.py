"""Alerts: what is due and what the team said of it (`domain`, pure, no Discord), how it
reaches Discord (`chat`: the channel, the messages, the buttons, the checks loop, leadership),
and how it looks (`render`). Its cog is `cogs/alerts.py`."""
