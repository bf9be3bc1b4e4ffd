"""Fetching an account's features for a command, turning upstream failures into answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

import discord
from discord import app_commands

from minimax_api import BadRequest, Features, UseapiError
from minimax_api.problems import Problem, describe
from render.limits import safe

from .accounts import AccountDirectory

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


async def load_features(accounts: AccountDirectory, account: str | None) -> Features | Problem:
    """The account's features, or what to tell the user instead (None: useapi.net's only
    account; a 400 then means there are several, and the answer lists them)."""
    try:
        return await accounts.minimax.features(account)
    except UseapiError as exc:
        log.info("features for %r failed: %r", account, exc)
        if isinstance(exc, BadRequest) and account is None:
            return await pick_account_problem(accounts, exc.detail)
        return describe(exc, account)


async def load_each(
    accounts: AccountDirectory, names: Sequence[str], concurrency: int
) -> list[tuple[str, Features | Problem]]:
    """Each named account's features or problem, `concurrency` requests at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one(name: str) -> tuple[str, Features | Problem]:
        async with gate:
            return name, await load_features(accounts, name)

    return list(await asyncio.gather(*(one(n) for n in names)))


class HasAccounts(Protocol):
    accounts: AccountDirectory


async def account_choices(
    interaction: discord.Interaction[HasAccounts],  # type: ignore[type-var]
    current: str,
) -> list[app_commands.Choice[str]]:
    """Autocomplete for every `account` option."""
    pairs = await interaction.client.accounts.suggest(current)
    return [app_commands.Choice(name=name, value=value) for name, value in pairs]
