"""Answering interactions within Discord's rules: defer first, then pages or a problem."""

from __future__ import annotations

import asyncio
import logging
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Sequence
from typing import TypeVar

import discord

from chat import limits
from chat.limits import pack_messages, safe
from minimax_api.handover import on_handover
from minimax_api.problems import Problem

log = logging.getLogger(__name__)

T = TypeVar("T")

# Set in Interaction.extras while the deferred "thinking…" placeholder is all the user sees.
PLACEHOLDER = "placeholder_public"
DEFER_BY = 0.5
"""Seconds after which the deferral goes out even if the work has not handed its request
over (work that waits on something else): well inside Discord's 3 seconds."""


async def defer(interaction: discord.Interaction, *, public: bool) -> None:
    """Acknowledge at once so a slow upstream cannot break the 3-second deadline."""
    await interaction.response.defer(ephemeral=not public, thinking=True)
    interaction.extras[PLACEHOLDER] = public


async def deferred(interaction: discord.Interaction, work: Awaitable[T], *, public: bool) -> T:
    """Start `work` at once and acknowledge the interaction while it runs: the answer is
    ready one Discord round trip sooner than deferring first would allow. The deferral waits
    until the work is done or has handed its useapi.net request over, so that its own work
    does not delay the request."""
    handed = asyncio.Event()
    with on_handover(handed.set):
        task = asyncio.ensure_future(work)
    signal = asyncio.ensure_future(handed.wait())
    try:
        await asyncio.wait((task, signal), timeout=DEFER_BY, return_when=FIRST_COMPLETED)
        await defer(interaction, public=public)
    except BaseException:
        task.cancel()
        raise
    finally:
        signal.cancel()
    return await task


async def send_embeds(
    interaction: discord.Interaction,
    embeds: Sequence[discord.Embed],
    *,
    public: bool,
    files: Sequence[discord.File] = (),
) -> None:
    """Send `embeds` in as many messages as Discord's limits need: the first replaces the
    placeholder (with `files`), the rest follow with the same visibility."""
    messages = pack_messages(embeds)
    first, rest = messages[0], messages[1:]
    if interaction.response.is_done():
        if files:
            await interaction.edit_original_response(embeds=first, attachments=list(files))
        else:
            await interaction.edit_original_response(embeds=first)
    else:
        await interaction.response.send_message(
            embeds=first, files=list(files), ephemeral=not public
        )
    interaction.extras.pop(PLACEHOLDER, None)
    for message in rest:
        await interaction.followup.send(embeds=message, ephemeral=not public)


def problem_embed(problem: Problem) -> discord.Embed:
    """The answer that says what went wrong and what to do next."""
    description = problem.advice
    if problem.detail:
        description = f"{description}\nuseapi.net said: “{safe(problem.detail, 300)}”"
    return discord.Embed(
        title=limits.clip(problem.title, limits.TITLE),
        description=limits.clip(description, limits.DESCRIPTION),
        colour=discord.Colour.red(),
    )


async def send_problem(interaction: discord.Interaction, problem: Problem) -> None:
    """Tell only the user who asked what went wrong; a public placeholder is removed."""
    embed = problem_embed(problem)
    if not interaction.response.is_done():
        await interaction.response.send_message(embed=embed, ephemeral=True)
        return
    placeholder = interaction.extras.pop(PLACEHOLDER, None)
    if placeholder is False:
        await interaction.edit_original_response(embed=embed)
        return
    if placeholder is True:
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the public placeholder", exc_info=True)
    await interaction.followup.send(embed=embed, ephemeral=True)


async def say(interaction: discord.Interaction, line: str) -> None:
    """One short line only the user sees, that pings nobody (in place of a private
    "thinking…" placeholder, when the command deferred)."""
    none = discord.AllowedMentions.none()
    if interaction.response.is_done():
        await interaction.edit_original_response(content=line, allowed_mentions=none)
    else:
        await interaction.response.send_message(line, ephemeral=True, allowed_mentions=none)
