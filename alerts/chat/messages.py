"""What the alert channel gets for each notice, ready to post: the rendered alert, or the
digest, drawn from the usage history as it goes out so that it is as fresh as it can be."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import discord

from alerts.chat.controls import controls
from alerts.domain.notices import Digest, Notice
from alerts.domain.port import Draft, ref_of, shared
from alerts.domain.status import AlertStatus
from alerts.render.messages import REF, AlertMessage, alert_messages
from chat.limits import DESCRIPTION, clip, pack_messages
from usage.chat.jobs_report import jobs_summary
from usage.chat.report import usage_report
from usage.domain.history import History
from usage.domain.jobs import JobStore
from usage.render.jobs import jobs_line


class AlertMessages:
    def __init__(
        self,
        history: History,
        status: AlertStatus,
        *,
        configured: Sequence[str],
        window: timedelta,
        jobs: JobStore,
    ) -> None:
        self.history = history
        self.jobs = jobs
        self.status = status
        self.configured = tuple(configured)
        self.window = window

    async def drafts(
        self, notices: Sequence[Notice], role_id: int | None
    ) -> list[Draft[AlertMessage]]:
        """The messages of `notices` (the digest, or alerts due together, pinging `role_id`),
        with the buttons when they are account alerts."""
        first = notices[0].payload
        if isinstance(first, Digest):
            return [Draft((notices[0],), await self.digest(notices[0], first))]
        found = []
        for unit, message in alert_messages(notices, role_id):
            if all(shared(n) for n in unit):
                message = replace(message, view=controls(ref_of(unit), [n.account for n in unit]))
            found.append(Draft(tuple(unit), message))
        return found

    async def _jobs_line(self, embed: discord.Embed, period: int) -> None:
        """The digest's one line of the job statistics, when there were jobs."""
        view = await jobs_summary(
            self.jobs, self.watched() or ("",), {}, period=period, now=datetime.now(UTC)
        )
        if (line := jobs_line(view)) is not None:
            text = f"{embed.description}\n{line}" if embed.description else line
            embed.description = clip(text, DESCRIPTION)

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
        await self._jobs_line(first[0], 7 if weekly else 1)
        first[0].set_footer(text=f"{REF} {notice.nonce}")
        files = [chart] if chart else []
        return AlertMessage(None, first, discord.AllowedMentions.none(), files)

    def watched(self) -> tuple[str, ...]:
        """The configured accounts, or else those the last check found in the listing."""
        last = self.status.last_check
        return self.configured or tuple(last.accounts if last else ())
