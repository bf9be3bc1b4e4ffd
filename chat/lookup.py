"""Which accounts a command is about, and fetching their features, turning upstream failures
into answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import discord
from discord import app_commands

from chat.accounts import AccountDirectory
from chat.limits import safe
from minimax_api import BadRequest, Features, UseapiError
from minimax_api.problems import Problem, describe

log = logging.getLogger(__name__)

MAX_LISTED = 20


@dataclass(frozen=True)
class Target:
    """The accounts a command is about: one `account` (None: useapi.net's only account,
    unnamed) or `several`."""

    account: str | None = None
    several: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return self.several or ((self.account,) if self.account else ())


async def command_target(
    accounts: AccountDirectory, option: str | None, *, several: bool, named: bool = False
) -> Target | Problem:
    """The account(s) a command is about, or the Problem to answer instead: the account the
    user named; else the one configured; else every configured one when the command answers
    for `several`, or else the Problem asking to pick one. With none configured, useapi.net's
    only account, unnamed unless the command needs its name (`named`: read from the listing,
    or the Problem asking to pick one when there are several)."""
    account = (option or "").strip() or None
    if account is None and len(accounts.configured) == 1:
        account = accounts.configured[0]
    elif account is None and accounts.configured:
        if several:
            return Target(several=accounts.configured)
        return await pick_account_problem(accounts)
    if account is None and named:
        account = await accounts.only_one()
        if account is None:
            return await pick_account_problem(accounts)
    return Target(account)


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
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for every `account` option."""
    pairs = await cast(HasAccounts, interaction.client).accounts.suggest(current)
    return [app_commands.Choice(name=name, value=value) for name, value in pairs]


async def rule_account_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Autocomplete for `/alerts rules account`: “all”, then the accounts."""
    accounts = await account_choices(interaction, current)
    every = [app_commands.Choice(name="all (every account)", value="all")]
    if current and not "all".startswith(current.strip().lower()):
        every = []
    return (every + accounts)[:25]
