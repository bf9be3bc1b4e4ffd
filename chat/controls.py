"""The one base of every button and select menu the bot puts on a message.

Discord checks command permissions for slash commands only: a button or menu can be
pressed by anyone who sees the message, from anywhere it was forwarded or a user install.
So every control passes the bot's own check first, the same as commands: the server is one
the bot serves, this process claims the press, and a control that changes state requires
Manage Server. Mix `Guarded` in first: `class Snooze(Guarded, discord.ui.DynamicItem[...])`
or `class Controls(Guarded, discord.ui.View)`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, cast

import discord


class Gatekeeper(Protocol):
    async def admit(self, interaction: discord.Interaction, *, manage: bool) -> bool: ...


class Guarded:
    """`interaction_check` for views and dynamic items, answered by the bot's `admit`."""

    changes_state: ClassVar[bool] = True  # a read-only control may set this to False

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        gate = cast(Gatekeeper, interaction.client)
        return await gate.admit(interaction, manage=self.changes_state)
