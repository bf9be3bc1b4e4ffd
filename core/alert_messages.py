"""What the alert channel gets for each notice, ready to post: the rendered alert, or the
digest, drawn from the usage history as it goes out so that it is as fresh as it can be."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import discord

from alerts.notices import Digest, Notice
from alerts.status import AlertStatus
from render.alerts import REF, AlertMessage, alert_message
from render.limits import pack_messages
from usage.history import History

from .usage_report import usage_report


class AlertMessages:
    def __init__(
        self,
        history: History,
        status: AlertStatus,
        *,
        configured: Sequence[str],
        window: timedelta,
        role_id: int | None,
    ) -> None:
        self.history = history
        self.status = status
        self.configured = tuple(configured)
        self.window = window
        self.role_id = role_id  # pinged by each alert, when set

    async def compose(self, notice: Notice) -> AlertMessage:
        if isinstance(notice.payload, Digest):
            return await self.digest(notice, notice.payload)
        return alert_message(notice, self.role_id)

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
