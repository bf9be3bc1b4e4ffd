"""Which useapi.net accounts a command talks about: configured ones and the accounts listing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from chat.limits import AUTOCOMPLETE_CHOICES, CHOICE_NAME, CHOICE_VALUE, clip
from minimax_api import AccountInfo, MiniMaxClient, UseapiError

log = logging.getLogger(__name__)

# Autocomplete must answer within Discord's 3 seconds, whatever useapi.net does.
LISTING_WAIT = 2.0


class AccountDirectory:
    def __init__(self, minimax: MiniMaxClient, configured: Sequence[str]) -> None:
        self.minimax = minimax
        self.configured = tuple(configured)

    async def listing(self) -> tuple[AccountInfo, ...]:
        """The accounts listing, or () when useapi.net cannot give it within LISTING_WAIT."""
        try:
            return await asyncio.wait_for(self.minimax.accounts(), LISTING_WAIT)
        except (UseapiError, TimeoutError) as exc:
            log.info("accounts listing unavailable: %s", exc.__class__.__name__)
            return ()

    async def info(self, account: str) -> AccountInfo | None:
        """What the listing says of `account`, if anything (best effort)."""
        for info in await self.listing():
            if info.account == account:
                return info
        return None

    async def only_one(self) -> str | None:
        """The account's name when there is exactly one (configured, or else listed)."""
        names = await self.watched()
        return names[0] if len(names) == 1 else None

    async def names(self) -> list[str]:
        """Configured accounts first, then any other account the listing knows."""
        names = dict.fromkeys(self.configured)
        for info in await self.listing():
            names.setdefault(info.account, None)
        return list(names)

    async def watched(self) -> list[str]:
        """The accounts the bot watches: the configured ones, or else the whole listing."""
        return list(self.configured) or [info.account for info in await self.listing()]

    async def suggest(self, typed: str) -> list[tuple[str, str]]:
        """Up to 25 (label, value) pairs for autocomplete, best matches first."""
        typed = typed.strip().casefold()
        names = [n for n in await self.names() if len(n) <= CHOICE_VALUE]
        starts = [n for n in names if n.casefold().startswith(typed)]
        contains = [
            n for n in names if typed in n.casefold() and not n.casefold().startswith(typed)
        ]
        return [(clip(n, CHOICE_NAME), n) for n in (starts + contains)[:AUTOCOMPLETE_CHOICES]]
