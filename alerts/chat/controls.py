"""The buttons and the menu on alert messages, and what pressing them does.

Persistent across restarts and replicas: each control is a `DynamicItem` whose custom id
carries the message's ref; what the message is about, and what the team said of it, live in
the database (alerts.domain.answers). Every press passes `Guarded` first (the team's server, this
process claims it, Manage Server or ALERT_MANAGER_ROLE_ID), then edits the message it is on.

The sample alert of `/alerts test` has sample buttons: persistent too (their custom ids carry
no state), guarded the same, and a press only tells its presser what a real one would show.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, cast

import discord

from alerts.domain.answers import Act, AlertGroup, AlertGroups, Answer
from alerts.domain.notices import TOKEN_SUBJECT, USEAPI_SUBJECT
from alerts.domain.silences import Ack, Snooze
from alerts.render.messages import (
    ANSWER_FIELD,
    AlertMessage,
    acknowledged_line,
    already_line,
    sample_alert,
    sample_pressed,
    snoozed_line,
    with_answers,
)
from alerts.render.names import subject
from chat.controls import Guarded
from chat.limits import safe
from state import StoreUnavailable

log = logging.getLogger(__name__)

REF = r"(?P<ref>[a-z0-9]{1,25})"
SNOOZES = {"1 hour": 1, "1 day": 24, "7 days": 168}  # label → hours
NO_RECORD = (
    "The bot has no record of this alert (its records were reset, or the alert is older than "
    "30 days): use `/alerts snooze` or `/alerts status` for its accounts instead."
)
DONE = "Every account of this alert has been answered already."
DATABASE_DOWN_LINE = "The bot cannot use its database right now: try again in a minute."


class Answering:
    """What the controls answer through: set on the classes `bound` makes (the base classes
    only draw the controls on a message)."""

    answers: ClassVar[AlertAnswers]


class AcknowledgeButton(
    Answering,
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"alert:ack:{REF}",
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

    async def answer(self, interaction: discord.Interaction, /) -> None:
        await self.answers.acknowledge(interaction, self.ref)


class SnoozeButton(
    Answering,
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

    async def answer(self, interaction: discord.Interaction, /) -> None:
        until = datetime.now(UTC) + timedelta(hours=self.hours)
        await self.answers.snooze(interaction, self.ref, until)


class PickMenu(
    Answering,
    Guarded,
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"alert:pick:{REF}",
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

    async def answer(self, interaction: discord.Interaction, /) -> None:
        values = [str(v) for v in (interaction.data or {}).get("values", [])]  # type: ignore[union-attr]
        await self.answers.pick(interaction, self.ref, values)


CONTROLS = (AcknowledgeButton, SnoozeButton, PickMenu)
SAMPLE_LABEL = " (sample)"


class SampleAcknowledgeButton(
    Guarded, discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"alert:sample:ack"
):
    """Acknowledge on the sample alert: shows its presser what a press would do, does none of it."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Acknowledge{SAMPLE_LABEL}",
                style=discord.ButtonStyle.success,
                custom_id="alert:sample:ack",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SampleAcknowledgeButton:
        return cls()

    async def answer(self, interaction: discord.Interaction, /) -> None:
        await _sample(interaction, acknowledged_line(interaction.user.id, datetime.now(UTC)))


class SampleSnoozeButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"alert:sample:snooze:(?P<hours>[0-9]{1,3})",
):
    """A Snooze button on the sample alert: as SampleAcknowledgeButton."""

    def __init__(self, hours: int) -> None:
        label = next((f"Snooze {k}" for k, v in SNOOZES.items() if v == hours), f"{hours} h")
        super().__init__(
            discord.ui.Button(
                label=f"{label}{SAMPLE_LABEL}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"alert:sample:snooze:{hours}",
            )
        )
        self.hours = hours

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SampleSnoozeButton:
        return cls(int(match["hours"]))

    async def answer(self, interaction: discord.Interaction, /) -> None:
        until = datetime.now(UTC) + timedelta(hours=self.hours)
        await _sample(interaction, snoozed_line(interaction.user.id, until))


SAMPLE_CONTROLS = (SampleAcknowledgeButton, SampleSnoozeButton)


async def _sample(interaction: discord.Interaction, line: str) -> None:
    """Answer a press on the sample at once, only to its presser; nothing is stored."""
    embeds = interaction.message.embeds if interaction.message else []
    said, shown = sample_pressed(line, embeds)
    await interaction.response.send_message(
        said, embeds=shown, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )


def sample_alert_with_buttons(now: datetime) -> AlertMessage:
    """What `/alerts test` posts: the sample alert with its sample buttons."""
    view = discord.ui.View(timeout=None)
    view.add_item(SampleAcknowledgeButton())
    for hours in SNOOZES.values():
        view.add_item(SampleSnoozeButton(hours))
    view.stop()  # dispatched by their templates, as the real controls
    return replace(sample_alert(now), view=view)


def bound(answers: AlertAnswers) -> tuple[type[discord.ui.DynamicItem[Any]], ...]:
    """The controls as the bot registers them (`add_dynamic_items`): each press on an alert,
    posted before a restart too, is answered through `answers`; the sample's need nothing."""
    return (
        *(
            cast(
                "type[discord.ui.DynamicItem[Any]]",
                type(
                    c.__name__,
                    (c,),
                    {"answers": answers},
                    template=c.__discord_ui_compiled_template__,
                ),
            )
            for c in CONTROLS
        ),
        *SAMPLE_CONTROLS,
    )


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


class AlertAnswers:
    """What a press does: acknowledge it at once (the database may be slow), judge and
    record the answer in one turn per message, then edit the message it is on.

    Two presses on one message take turns (in the database, so replicas too): the first
    answer for an account stands and the message shows it; a later press for that account
    changes nothing and its presser is told who answered and how."""

    def __init__(self, groups: AlertGroups) -> None:
        self.groups = groups

    async def acknowledge(self, interaction: discord.Interaction, ref: str) -> None:
        user, now = interaction.user.id, datetime.now(UTC)

        def act(group: AlertGroup, accounts: list[str]) -> Answer:
            acks = [
                Ack(a.account, a.kind, a.ends_at, user, now)
                for a in group.announced
                if a.account in accounts and a.ends_at is not None
            ]
            return Answer(acknowledged_line(user, now, batches=bool(acks)), acks=acks)

        await self._answer(interaction, ref, act)

    async def snooze(self, interaction: discord.Interaction, ref: str, until: datetime) -> None:
        user, now = interaction.user.id, datetime.now(UTC)

        def act(group: AlertGroup, accounts: list[str]) -> Answer:
            snoozes = [Snooze(account, until, user, "", now) for account in accounts]
            return Answer(snoozed_line(user, until), snoozes=snoozes)

        await self._answer(interaction, ref, act)

    async def pick(self, interaction: discord.Interaction, ref: str, values: list[str]) -> None:
        await interaction.response.defer()  # nothing to show: the menu shows the pick
        try:
            known = await self.groups.pick(ref, interaction.user.id, values, _view(interaction))
        except StoreUnavailable as exc:
            log.warning("could not keep a pick on alert %s: %s", ref, exc)
            await _say(interaction, DATABASE_DOWN_LINE)
            return
        if not known:
            await _say(interaction, NO_RECORD)

    async def _answer(self, interaction: discord.Interaction, ref: str, act: Act) -> None:
        """Defer the edit, judge and record the press, and redraw the message; every
        failure gets one line back."""
        await interaction.response.defer()
        shown = _shown(interaction)
        try:
            pressed = await self.groups.press(ref, interaction.user.id, shown, act)
        except StoreUnavailable as exc:
            log.warning("could not answer alert %s: %s", ref, exc)
            await _say(interaction, DATABASE_DOWN_LINE)
            return
        if pressed is None:
            await _say(interaction, NO_RECORD)
            return
        group = pressed.group
        if not pressed.answered:
            await _say(interaction, already_line(pressed.already) if pressed.already else DONE)
            if shown == [a in group.said for a in group.accounts]:
                return  # the message already says all of it
        await self._redraw(interaction, group)

    async def _redraw(self, interaction: discord.Interaction, group: AlertGroup) -> None:
        """Edit the message to what the database says. A press answered at the same moment
        may edit it with an older state after ours: read again after each edit and edit once
        more if it changed, so the last edit shows every answer."""
        base = interaction.message.embeds if interaction.message else []
        for _ in range(REDRAWS):
            left = group.open_accounts()
            await interaction.edit_original_response(
                embeds=with_answers(base, group.accounts, group.said, group.resolved),
                view=controls(group.ref, left) if left else None,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            try:
                latest = await self.groups.get(group.ref)
            except StoreUnavailable:
                return  # what we drew is what we knew
            if latest is None or (latest.said, latest.resolved) == (group.said, group.resolved):
                return
            group = latest


REDRAWS = 3


def _shown(interaction: discord.Interaction) -> list[bool] | None:
    """Per embed of the message pressed on, whether it shows an answer (None without one)."""
    if interaction.message is None:
        return None
    return [any(f.name == ANSWER_FIELD for f in e.fields) for e in interaction.message.embeds]


def _view(interaction: discord.Interaction) -> list[str]:
    """The accounts the menu pressed on offers: those its message shows open."""
    for row in interaction.message.components if interaction.message else []:
        for item in getattr(row, "children", []):
            if isinstance(item, discord.SelectMenu):
                return [o.value for o in item.options]
    return []


async def _say(interaction: discord.Interaction, line: str) -> None:
    """One line only the presser sees (the press itself was acknowledged already)."""
    await interaction.followup.send(
        line, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
    )
