"""Fetching an account's features for a command, turning upstream failures into answers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from minimax_api import BadRequest, Features, UseapiError
from render.limits import safe
from render.problems import Problem, describe

from .accounts import AccountDirectory

if TYPE_CHECKING:
    from bot import MiniMaxBot

log = logging.getLogger(__name__)

MAX_LISTED = 20


async def pick_account_problem(accounts: AccountDirectory, detail: str = "") -> Problem:
    """Asks the user to choose, listing the accounts we know of."""
    names = await accounts.names()
    if not names:
        return Problem(
            "Pick an account",
            "Run the command again with the `account` option set to one of your useapi.net "
            "MiniMax accounts.",
            detail,
        )
    listed = ", ".join(safe(n, 60) for n in names[:MAX_LISTED])
    more = f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    return Problem(
        "Pick an account",
        f"Run the command again with `account` set to one of: {listed}{more}.",
        detail,
    )


async def load_features(bot: MiniMaxBot, account: str | None) -> Features | Problem:
    """The account's features, or what to tell the user instead."""
    try:
        return await bot.minimax.features(account)
    except UseapiError as exc:
        log.info("features for %r failed: %r", account, exc)
        if isinstance(exc, BadRequest) and account is None:
            return await pick_account_problem(bot.accounts, exc.detail)
        return describe(exc, account)


async def account_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for every `account` option."""
    bot: MiniMaxBot = interaction.client  # type: ignore[assignment]
    pairs = await bot.accounts.suggest(current)
    return [app_commands.Choice(name=name, value=value) for name, value in pairs]
