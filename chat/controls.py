"""The one base of every button and select menu the bot puts on a message.

Discord checks command permissions for slash commands only: a button or menu can be
pressed by anyone who sees the message, from anywhere it was forwarded or a user install.
So every control passes the bot's own check first, the same as commands: the server is one
the bot serves, this process claims the press, and a control that changes state requires
Manage Server. Mix `Guarded` in first: `class Snooze(Guarded, discord.ui.DynamicItem[...])`
or `class Controls(Guarded, discord.ui.View)`. A dynamic item's work goes in `answer`; what
goes wrong there (or in a view's callbacks) ends where a command's failure does, in the bot's
`interaction_failed`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, cast

import discord


class Gatekeeper(Protocol):
    async def admit(self, interaction: discord.Interaction, *, manage: bool) -> bool: ...

    async def interaction_failed(
        self, interaction: discord.Interaction, error: BaseException, what: str
    ) -> None: ...


class Guarded:
    """`interaction_check` for views and dynamic items, answered by the bot's `admit`."""

    changes_state: ClassVar[bool] = True  # a read-only control may set this to False

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        gate = cast(Gatekeeper, interaction.client)
        return await gate.admit(interaction, manage=self.changes_state)

    async def callback(self, interaction: discord.Interaction[Any], /) -> None:
        """A dynamic item's press: `answer`, its failures ending in one place."""
        try:
            await self.answer(interaction)
        except Exception as exc:
            await cast(Gatekeeper, interaction.client).interaction_failed(
                interaction, exc, type(self).__name__
            )

    async def answer(self, interaction: discord.Interaction[Any], /) -> None:
        """What a press on a dynamic item does (a view's items have callbacks of their own)."""
        raise NotImplementedError

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: Any, /
    ) -> None:
        """A view's callback failed: the same one place."""
        await cast(Gatekeeper, interaction.client).interaction_failed(
            interaction, error, type(item).__name__
        )
