"""`/models` answers: every model with its cost and limits, spread over as many embeds as needed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import discord

from chat import limits
from chat.fmt import amount, stamp
from chat.limits import safe
from minimax_api import ModelInfo


def model_field(model: ModelInfo) -> tuple[str, str]:
    name = safe(model.name, 180)
    if model.name != model.model_id:
        name = f"{name} · {safe(model.model_id, 60)}"
    facts = [
        f"**{amount(model.cost)}** credits per generation"
        if model.cost is not None
        else "cost not given"
    ]
    if model.members_only:
        facts.append("members only")
    if model.free_count:
        facts.append(f"{amount(model.free_count)} free")
    lines = [" · ".join(facts)]
    for label, values in (
        ("Durations", model.durations),
        ("Resolutions", model.resolutions),
        ("Modes", model.modes),
    ):
        if values:
            lines.append(f"{label}: " + ", ".join(safe(v, 60) for v in values))
    return name, limits.clip("\n".join(lines), limits.FIELD_VALUE)


def models_embeds(
    models: Sequence[ModelInfo], *, account: str | None, fetched_at: datetime | None = None
) -> list[discord.Embed]:
    title = f"Models · {account}" if account else "Models"
    description = (
        f"{len(models)} models. Costs are in credits per generation."
        if models
        else "useapi.net listed no models for this account."
    )
    if fetched_at:
        description += f"\nFetched {stamp(fetched_at)}"
    template = discord.Embed(
        title=limits.clip(title, limits.TITLE),
        description=description,
        colour=discord.Colour.blurple(),
    )
    return limits.paginate(template, [model_field(m) for m in models])
