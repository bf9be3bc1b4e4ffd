"""The alerts followers get by direct message: each shared alert the channel got, rendered as
the channel's, sent in the background to every follower of its account who is still in the
server it followed from. A DM never holds the channel alert up nor raises into the delivery."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import discord

from alerts.domain.follows import Follow, Follows
from alerts.domain.notices import Notice
from alerts.domain.port import shared
from alerts.render.messages import AlertMessage, alert_messages
from chat.limits import safe
from state import StoreUnavailable

log = logging.getLogger(__name__)

DM_CONCURRENCY = 4  # DMs (with their member check) under way at once, over every alert
UNKNOWN_MEMBER = 10007
DMS_CLOSED = 50007  # "Cannot send messages to this user"


def closed_line(accounts: list[str]) -> str:
    """The one line a member whose DMs were closed gets on their next command."""
    names = " and ".join(", ".join(safe(a, 60) for a in accounts).rsplit(", ", 1))
    return (
        f"I could not DM you the alerts of {names} (your DMs are closed); open them and use "
        "/follow again."
    )


class Followers:
    """Sends each shared alert's DM to its account's followers (`sent`, the delivery's
    `on_sent`); `serves` tells whether the bot still serves a server (app/access.py)."""

    def __init__(
        self,
        client: discord.Client,
        follows: Follows,
        serves: Callable[[int], bool],
        *,
        concurrency: int = DM_CONCURRENCY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.follows = follows
        self.serves = serves
        self.clock = clock
        self._gate = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()

    def sent(self, notice: Notice) -> None:
        """The channel got `notice`: DM it to the followers of its account, in the background."""
        if not shared(notice):
            return
        task = asyncio.get_running_loop().create_task(self._deliver(notice))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def settled(self) -> None:
        """Wait until every DM under way is done (for shutdown and tests)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _deliver(self, notice: Notice) -> None:
        try:
            followers = await self.follows.followers(notice.account)
        except StoreUnavailable as exc:
            log.warning("no alert DMs for account %r: %s", notice.account, exc)
            return
        if not followers:
            return
        [(_, message), *_] = alert_messages([notice], None)
        await asyncio.gather(*(self._dm(f, message) for f in followers))

    async def _dm(self, follow: Follow, message: AlertMessage) -> None:
        async with self._gate:
            try:
                if await self._still_there(follow):
                    await self._send(follow, message)
            except discord.Forbidden as exc:
                if exc.code != DMS_CLOSED:
                    log.warning("could not DM an alert to user %s: %s", follow.user_id, exc)
                    return
                await self.follows.mark_closed(follow.user_id, self.clock())
                log.info(
                    "user %s has closed DMs: no more alert DMs to them until they /follow again",
                    follow.user_id,
                )
            except (discord.HTTPException, OSError, TimeoutError, StoreUnavailable) as exc:
                log.warning("could not DM an alert to user %s: %r", follow.user_id, exc)
            except Exception:
                log.exception("DM of an alert to user %s failed", follow.user_id)

    async def _still_there(self, follow: Follow) -> bool:
        """The member may still see the team's alerts: the bot serves the server they
        followed from, and they are still in it (else their follows from there end)."""
        if not self.serves(follow.guild_id):
            log.debug("user %s followed from a server not served now", follow.user_id)
            return False
        try:
            await self.client.http.get_member(follow.guild_id, follow.user_id)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_MEMBER:
                raise
            dropped = await self.follows.drop(follow.user_id, follow.guild_id)
            log.info(
                "user %s left server %s: %d follow(s) ended",
                follow.user_id,
                follow.guild_id,
                dropped,
            )
            return False
        return True

    async def _send(self, follow: Follow, message: AlertMessage) -> None:
        channel = await self.client.create_dm(discord.Object(follow.user_id))
        sending: dict[str, Any] = {"content": message.content}
        if message.embeds:
            sending["embeds"] = message.embeds
        await channel.send(**sending, allowed_mentions=discord.AllowedMentions.none())
