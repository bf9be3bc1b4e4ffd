"""The alert channel in Discord, as `alerts.delivery` sees it: post a message that is ready,
list the alerts already posted, and tell which kind of refusal a failed post is."""

from __future__ import annotations

import logging

import discord

from alerts.delivery import Refused, Scope
from render.alerts import AlertMessage, refs_in

log = logging.getLogger(__name__)

HISTORY_LOOKBACK = 100
AUTOMOD_CODES = frozenset({200000, 200001})


def refusal(exc: Exception, channel_id: int) -> Refused:
    """Which kind of refusal a failed post is, with the fix for channel-wide ones."""
    if isinstance(exc, discord.Forbidden) and exc.code not in AUTOMOD_CODES:
        return Refused(
            Scope.CHANNEL,
            f"missing permission in the alert channel {channel_id}: give the bot "
            "View Channel, Send Messages and Embed Links there",
        )
    if isinstance(exc, discord.NotFound):
        return Refused(
            Scope.CHANNEL,
            f"ALERT_CHANNEL_ID={channel_id} does not exist or the bot cannot see it: "
            "check the id and that the bot is in that server",
        )
    if isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500 and exc.status != 429:
        if exc.code in AUTOMOD_CODES:
            short = "the server's AutoMod blocked it"
        else:
            short = f"Discord refused it (HTTP {exc.status}, code {exc.code})"
        return Refused(Scope.MESSAGE, f"{short}: {exc.text[:200]}", short=short)
    status = exc.status if isinstance(exc, discord.HTTPException) else exc.__class__.__name__
    return Refused(Scope.TRANSIENT, f"Discord did not take the alert ({status}); trying again")


class DiscordAlertChannel:
    def __init__(self, client: discord.Client, channel_id: int) -> None:
        self.client = client
        self.channel_id = channel_id

    async def resolve(self) -> discord.abc.Messageable:
        channel = self.client.get_channel(self.channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(self.channel_id)
            except (discord.HTTPException, OSError, TimeoutError) as exc:
                raise refusal(exc, self.channel_id) from exc
        if not isinstance(channel, discord.abc.Messageable):
            raise Refused(
                Scope.CHANNEL, f"ALERT_CHANNEL_ID={self.channel_id} is not a text channel"
            )
        return channel

    async def posted(self) -> dict[str, int]:
        """Discord's nonce check catches a resend within minutes; the channel's recent history
        catches later ones, and a wiped database (it needs Read Message History; without it
        the nonce is the only guard)."""
        channel = await self.resolve()
        found: dict[str, int] = {}
        me = self.client.user
        try:
            async for message in channel.history(limit=HISTORY_LOOKBACK):
                if me is not None and message.author.id == me.id:
                    footers = [e.footer.text for e in message.embeds]
                    found.update(dict.fromkeys(refs_in(message.content, footers), message.id))
        except discord.HTTPException as exc:
            log.info(
                "cannot read the alert channel's history (%s); relying on the nonce", exc.status
            )
        return found

    async def post(self, message: AlertMessage, nonce: str | None) -> int:
        """Post `message` (with the notice's nonce; None for a test); returns its id."""
        channel = await self.resolve()
        try:
            sent = await channel.send(
                content=message.content,
                embeds=message.embeds,  # type: ignore[arg-type]  # None: left out
                files=message.files,  # type: ignore[arg-type]
                allowed_mentions=message.allowed_mentions,
                nonce=nonce if nonce is not None else discord.utils.MISSING,
                view=message.view or discord.utils.MISSING,
            )
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            raise refusal(exc, self.channel_id) from exc
        return sent.id
