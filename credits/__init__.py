"""The answers drawn from the features payload: `/credits`, `/models`, and the plain-text
report of `bot.py --check`. Pure rendering; their cogs are `cogs/credits.py` and
`cogs/models.py`."""
