"""The buttons and the menu on alert messages, and what pressing them does.

Persistent across restarts and replicas: each control is a `DynamicItem` whose custom id
carries the message's ref; what the message is about, and what the team said of it, live in
the database (alerts.silences). Every press passes `Guarded` first (the team's server, this
process claims it, Manage Server or ALERT_MANAGER_ROLE_ID), then edits the message it is on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

import discord

from alerts.notices import TOKEN_SUBJECT, USEAPI_SUBJECT
from alerts.silences import Ack, AlertGroup, Silences, Snooze
from render.alerts import acknowledged_line, snoozed_line, with_answers
from render.fmt import subject
from render.limits import safe
from state import StoreUnavailable

from .controls import Guarded

log = logging.getLogger(__name__)

REF = r"(?P<ref>[a-z0-9]{1,25})"
SNOOZES = {"1 hour": 1, "1 day": 24, "7 days": 168}  # label → hours
GONE = "This alert is too old to answer here: use `/alerts snooze` instead."
DONE = "Every account of this alert has been answered already."
DATABASE_DOWN_LINE = "The bot cannot use its database right now: try again in a minute."


class AcknowledgeButton(
    Guarded, discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"alert:ack:{REF}"
):
    def __init__(self, ref: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Acknowledge", style=discord.ButtonStyle.success, custom_id=f"alert:ack:{ref}"
            )
        )
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AcknowledgeButton:
        return cls(match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await answers(interaction).acknowledge(interaction, self.ref)


class SnoozeButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"alert:snooze:(?P<hours>[0-9]{{1,3}}):{REF}",
):
    def __init__(self, ref: str, hours: int) -> None:
        label = next((f"Snooze {k}" for k, v in SNOOZES.items() if v == hours), f"{hours} h")
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"alert:snooze:{hours}:{ref}",
            )
        )
        self.ref, self.hours = ref, hours

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SnoozeButton:
        return cls(match["ref"], int(match["hours"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        until = datetime.now(UTC) + timedelta(hours=self.hours)
        await answers(interaction).snooze(interaction, self.ref, until)


class PickMenu(
    Guarded, discord.ui.DynamicItem[discord.ui.Select[Any]], template=rf"alert:pick:{REF}"
):
    """Which of the message's accounts the buttons act on (all of them until one picks)."""

    def __init__(self, ref: str, accounts: Sequence[str] = ()) -> None:
        options = [
            discord.SelectOption(label=_label(a), value=a[:100], default=True)
            for a in accounts[:25]
        ]
        super().__init__(
            discord.ui.Select(
                custom_id=f"alert:pick:{ref}",
                placeholder="Accounts the buttons act on",
                min_values=1,
                max_values=max(1, len(options)),
                options=options or [discord.SelectOption(label="?", value="?")],
            )
        )
        self.ref = ref

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PickMenu:
        return cls(match["ref"])

    async def callback(self, interaction: discord.Interaction) -> None:
        values = [str(v) for v in (interaction.data or {}).get("values", [])]  # type: ignore[union-attr]
        await answers(interaction).pick(interaction, self.ref, values)


CONTROLS = (AcknowledgeButton, SnoozeButton, PickMenu)


SUBJECTS = (TOKEN_SUBJECT, USEAPI_SUBJECT)


def _label(account: str) -> str:
    """An account in the pick menu: its name, or what a subject of ours stands for."""
    return (subject(account, 90) if account in SUBJECTS else safe(account, 100)) or "?"


def controls(ref: str, accounts: Sequence[str]) -> discord.ui.View:
    """With one account the buttons; with several, a menu to pick accounts above them. The
    view is stopped: discord.py dispatches these by their template, not by this view."""
    view = discord.ui.View(timeout=None)
    accounts = list(dict.fromkeys(accounts))
    if len(accounts) > 1:
        view.add_item(PickMenu(ref, accounts))
    view.add_item(AcknowledgeButton(ref))
    for hours in SNOOZES.values():
        view.add_item(SnoozeButton(ref, hours))
    view.stop()
    return view


class HasAnswers(Protocol):
    answers: AlertAnswers


def answers(interaction: discord.Interaction) -> AlertAnswers:
    cog = cast(HasAnswers | None, interaction.client.get_cog("Alerts"))  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the alerts cog is not loaded")
    return cog.answers


class AlertAnswers:
    """What a press does: acknowledge it at once (the database may be slow), remember the
    answer, then edit the message it is on."""

    def __init__(self, silences: Silences) -> None:
        self.silences = silences

    async def acknowledge(self, interaction: discord.Interaction, ref: str) -> None:
        async def work(group: AlertGroup, accounts: list[str], now: datetime) -> str:
            user = interaction.user.id
            acks = [
                Ack(a.account, a.kind, a.ends_at, user, now)
                for a in group.announced
                if a.account in accounts and a.ends_at is not None
            ]
            await self.silences.acknowledge(acks)
            return acknowledged_line(user, now, batches=bool(acks))

        await self._answer(interaction, ref, work)

    async def snooze(self, interaction: discord.Interaction, ref: str, until: datetime) -> None:
        async def work(group: AlertGroup, accounts: list[str], now: datetime) -> str:
            user = interaction.user.id
            for account in accounts:
                await self.silences.snooze(Snooze(account, until, user, "", now))
            return snoozed_line(user, until)

        await self._answer(interaction, ref, work)

    async def pick(self, interaction: discord.Interaction, ref: str, values: list[str]) -> None:
        await interaction.response.defer()  # nothing to show: the menu shows the pick
        try:
            await self.silences.pick(ref, interaction.user.id, values)
        except StoreUnavailable as exc:
            log.warning("could not keep a pick on alert %s: %s", ref, exc)
            await _say(interaction, DATABASE_DOWN_LINE)

    async def _answer(
        self,
        interaction: discord.Interaction,
        ref: str,
        work: Callable[[AlertGroup, list[str], datetime], Awaitable[str]],
    ) -> None:
        """Defer the edit, find what the press is about, do `work`, record its line for
        those accounts and redraw the message; every failure gets one line back."""
        await interaction.response.defer()
        try:
            group = await self.silences.group(ref)
            if group is None:
                await _say(interaction, GONE)
                return
            open_accounts = group.open_accounts()
            picked = await self.silences.picked(ref, interaction.user.id)
            accounts = [a for a in open_accounts if picked is None or a in picked]
            accounts = accounts or open_accounts  # a pick made before a redraw is stale
            if not accounts:
                await _say(interaction, DONE)
                return
            now = datetime.now(UTC)
            line = await work(group, accounts, now)
            await self.silences.answer(ref, accounts, line)
            group = await self.silences.group(ref) or group  # with every answer, ours too
        except StoreUnavailable as exc:
            log.warning("could not answer alert %s: %s", ref, exc)
            await _say(interaction, DATABASE_DOWN_LINE)
            return
        message = interaction.message
        embeds = with_answers(message.embeds if message else [], group.accounts, group.said)
        left = group.open_accounts()
        await interaction.edit_original_response(
            embeds=embeds,
            view=controls(group.ref, left) if left else None,
            allowed_mentions=discord.AllowedMentions.none(),
        )


async def _say(interaction: discord.Interaction, line: str) -> None:
    """One line only the presser sees (the press itself was acknowledged already)."""
    await interaction.followup.send(
        line, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )
