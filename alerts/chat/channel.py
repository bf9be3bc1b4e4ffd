"""The alert channel in Discord, the port `alerts.domain.delivery` posts through: draft the
messages of some notices, list the alerts already posted, post a draft, and tell which kind of
refusal a failed post is."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands

from alerts.chat.controls import controls
from alerts.chat.messages import AlertMessages
from alerts.domain.answers import AlertGroup
from alerts.domain.notices import Notice
from alerts.domain.port import Draft, Refused, Scope
from alerts.render.messages import AlertMessage, alert_embeds, refs_in, with_answers

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
            f"the alert channel {channel_id} does not exist or the bot cannot see it: "
            "check the id (ALERT_CHANNEL_ID or /alerts rules) and that the bot is in that "
            "server",
        )
    if isinstance(exc, discord.HTTPException) and 400 <= exc.status < 500 and exc.status != 429:
        if exc.code in AUTOMOD_CODES:
            short = "the server's AutoMod blocked it"
        else:
            short = f"Discord refused it (HTTP {exc.status}, code {exc.code})"
        return Refused(Scope.MESSAGE, f"{short}: {exc.text[:200]}", short=short)
    status = exc.status if isinstance(exc, discord.HTTPException) else exc.__class__.__name__
    return Refused(Scope.TRANSIENT, f"Discord did not take the alert ({status}); trying again")


NEEDED = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}


PostableOption = app_commands.AppCommandChannel | app_commands.AppCommandThread


class Postable(app_commands.Transformer):
    """A channel option that offers only what a bot can post a message in: text and
    announcement channels, the text chat of voice and stage channels, and threads (not
    categories, forums or media channels, whose messages are posts made by members)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        kinds = discord.ChannelType
        return [
            kinds.text,
            kinds.news,
            kinds.voice,
            kinds.stage_voice,
            kinds.public_thread,
            kinds.private_thread,
            kinds.news_thread,
        ]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> PostableOption:
        return value


def cannot_post(channel: PostableOption | discord.abc.GuildChannel) -> str | None:
    """Why the bot could not post alerts in `channel` (one line), or None when it can."""
    found = (
        channel.resolve()
        if isinstance(channel, app_commands.AppCommandChannel | app_commands.AppCommandThread)
        else channel
    )
    if found is None:
        return (
            f"I cannot see <#{channel.id}>: give the bot View Channel, Send Messages and "
            "Embed Links there, or pick another channel."
        )
    if not isinstance(found, discord.abc.Messageable) or isinstance(
        found, discord.ForumChannel | discord.CategoryChannel
    ):
        return f"<#{channel.id}> is not a text channel: pick one the bot can post in."
    me = found.guild.me
    if me is None:
        return None  # cannot tell yet; a refusal at posting time is reported then
    allowed = found.permissions_for(me)
    missing = [label for name, label in NEEDED.items() if not getattr(allowed, name)]
    if missing:
        needed = " and ".join(missing)
        return f"I cannot post alerts in <#{channel.id}>: give the bot {needed} there."
    return None


def cannot_ping(role: discord.Role) -> str | None:
    """Why an alert could not ping `role` (one line), or None when it can."""
    if role.is_default():
        return "Alerts never ping @everyone: pick a role."
    me = role.guild.me
    if role.mentionable or me is None or me.guild_permissions.mention_everyone:
        return None
    return (
        f"I cannot ping <@&{role.id}>: make the role mentionable (Server Settings → Roles) "
        "or give the bot Mention @everyone, @here and All Roles."
    )


class DiscordAlertChannel:
    """The alert channels: ALERT_CHANNEL_ID's and those of the rules per account."""

    def __init__(self, client: discord.Client, messages: AlertMessages) -> None:
        self.client = client
        self.messages = messages

    async def drafts(
        self, notices: Sequence[Notice], role_id: int | None
    ) -> list[Draft[AlertMessage]]:
        return await self.messages.drafts(notices, role_id)

    async def resolve(self, channel_id: int) -> discord.abc.Messageable:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except (discord.HTTPException, OSError, TimeoutError) as exc:
                raise refusal(exc, channel_id) from exc
        if not isinstance(channel, discord.abc.Messageable):
            raise Refused(Scope.CHANNEL, f"the alert channel {channel_id} is not a text channel")
        return channel

    async def posted(self, channel_id: int) -> dict[str, int]:
        """Discord's nonce check catches a resend within minutes; the channel's recent history
        catches later ones, and a wiped database (it needs Read Message History; without it
        the nonce is the only guard)."""
        channel = await self.resolve(channel_id)
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

    async def post(self, message: AlertMessage, nonce: str | None, channel_id: int) -> int:
        """Post `message` (with the notice's nonce; None for a test); returns its id."""
        channel = await self.resolve(channel_id)
        try:
            sent = await channel.send(
                content=message.content,
                embeds=message.embeds,  # type: ignore[arg-type]  # None: left out
                files=message.files,  # type: ignore[arg-type]
                allowed_mentions=message.allowed_mentions,
                nonce=nonce if nonce is not None else discord.utils.MISSING,
                view=message.view or discord.utils.MISSING,
                reference=_reference(message),
            )
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            raise refusal(exc, channel_id) from exc
        return sent.id

    async def redraw(
        self, channel_id: int, message_id: int, notices: Sequence[Notice], group: AlertGroup
    ) -> None:
        """Edit an alert message to what the database says of it: its answers, its
        resolved alerts, and buttons only for the accounts still open."""
        channel = await self.resolve(channel_id)
        if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            raise Refused(Scope.CHANNEL, f"the alert channel {channel_id} is not a text channel")
        embeds = with_answers(alert_embeds(notices), group.accounts, group.said, group.resolved)
        left = group.open_accounts()
        message = channel.get_partial_message(message_id)  # type: ignore[union-attr]
        try:
            await message.edit(
                embeds=embeds,
                view=controls(group.ref, left) if left else None,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except (discord.HTTPException, OSError, TimeoutError) as exc:
            raise refusal(exc, channel_id) from exc


def _reference(message: AlertMessage) -> Any:
    """The alert a reply answers (it is posted even when that alert was deleted); None for
    any other message, which discord.py takes though its annotation says otherwise."""
    if message.reference is None:
        return None
    channel_id, message_id = message.reference
    return discord.MessageReference(
        message_id=message_id, channel_id=channel_id, fail_if_not_exists=False
    )
