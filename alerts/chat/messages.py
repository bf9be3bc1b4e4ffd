"""What the alert channel gets for each notice, ready to post: the rendered alert, or the
digest, drawn from the usage history as it goes out so that it is as fresh as it can be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import discord

from alerts.chat.controls import controls
from alerts.domain.delivery import shared
from alerts.domain.notices import Digest, ExpiringSoon, Notice
from alerts.domain.silences import AlertGroup, Announced, Silences
from alerts.domain.status import AlertStatus
from alerts.render.messages import ANSWER_ROOM, REF, AlertMessage, group_message, notice_embed
from chat.limits import pack_messages
from usage.chat.report import usage_report
from usage.domain.history import History


class AlertMessages:
    def __init__(
        self,
        history: History,
        status: AlertStatus,
        *,
        configured: Sequence[str],
        window: timedelta,
        silences: Silences | None = None,
    ) -> None:
        self.silences = silences  # where what each message with buttons is about is kept
        self.history = history
        self.status = status
        self.configured = tuple(configured)
        self.window = window

    async def compose(
        self, notices: Sequence[Notice], ref: str, role_id: int | None
    ) -> AlertMessage:
        """The message of `notices` (the digest, or alerts due together, pinging `role_id`),
        with the buttons when they are account alerts: what it is about is saved under `ref`
        first."""
        first = notices[0].payload
        if isinstance(first, Digest):
            return await self.digest(notices[0], first)
        message = group_message(notices, role_id)
        if self.silences is None or not all(shared(n) for n in notices):
            return message
        announced = [a for n in notices for a in _announced(n)]
        group = AlertGroup(ref, [n.account for n in notices], announced)
        await self.silences.save_group(group, datetime.now(UTC))
        return replace(message, view=controls(ref, group.accounts))

    @staticmethod
    def pack(notices: list[Notice]) -> list[list[Notice]]:
        """Alerts due together, split into as many messages as Discord's limits need (room
        left in each embed for the answer a press adds)."""
        rendered = [(notice_embed(n), n) for n in notices]
        of = {id(embed): notice for embed, notice in rendered}
        packed = pack_messages([embed for embed, _ in rendered], reserve=ANSWER_ROOM)
        return [[of[id(embed)] for embed in message] for message in packed]

    async def digest(self, notice: Notice, digest: Digest) -> AlertMessage:
        """The digest of every watched account: the first message's worth of it."""
        weekly = digest.until - digest.start > timedelta(days=1)
        embeds, chart = await usage_report(
            self.history,
            self.watched() or ("",),
            period=7 if weekly else 1,
            window=self.window,
            now=datetime.now(UTC),
            title="Weekly digest" if weekly else "Daily digest",
            digest=True,
        )
        first = pack_messages(embeds)[0]
        first[0].set_footer(text=f"{REF} {notice.nonce}")
        files = [chart] if chart else []
        return AlertMessage(None, first, discord.AllowedMentions.none(), files)

    def watched(self) -> tuple[str, ...]:
        """The configured accounts, or else those the last check found in the listing."""
        last = self.status.last_check
        return self.configured or tuple(last.accounts if last else ())


def _announced(notice: Notice) -> list[Announced]:
    """What an alert announced: its batches and sessions, or the account it cannot read."""
    if isinstance(notice.payload, ExpiringSoon):
        return [Announced(notice.account, str(i.kind), i.ends_at) for i in notice.payload.items]
    return [Announced(notice.account, str(notice.kind), None)]
