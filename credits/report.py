"""Plain-text credits report for `bot.py --check`, printed in the operator's terminal."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from chat.fmt import amount
from minimax_api import CreditBatch, Features
from minimax_api.problems import Problem
from usage.domain.snapshot import Pool


def _when(moment: datetime, now: datetime) -> str:
    hours = (moment - now).total_seconds() / 3600
    left = f"in {hours:.1f} h" if hours < 72 else f"in {hours / 24:.1f} days"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({left})"


def _batches(batches: Iterable[CreditBatch], what: str, now: datetime) -> Iterator[str]:
    for batch in batches:
        when = _when(batch.expires_at, now) if batch.expires_at else "no expiry given"
        yield f"    {amount(batch.credit)} {what} expire {when}"


def account_report(account: str | None, features: Features, now: datetime) -> str:
    lines = [f"[ok] {account or '(default account)'}"]
    plan = features.plan_name or "unknown plan"
    paid = {True: "paid", False: "not paid", None: "payment unknown"}[features.is_paid]
    lines.append(f"  {Pool.VIDEO.credits}: {amount(features.total_credits)}  plan: {plan} ({paid})")
    lines.extend(_batches(features.active_batches(now), "credits", now))
    if features.audio is not None:
        lines.append(f"  {Pool.AUDIO.credits}: {amount(features.audio.total)}")
        lines.extend(_batches(features.active_audio_batches(now), Pool.AUDIO.credits, now))
    video, image = amount(features.queue_length), amount(features.image_queue_length)
    lines.append(f"  queues: video {video}, image {image}")
    lines.append(f"  models: {len(features.models)}")
    return "\n".join(lines)


def problem_report(account: str | None, problem: Problem) -> str:
    text = f"[FAILED] {account or '(default account)'}: {problem.title}. {problem.advice}"
    return f"{text}\n  useapi.net said: {problem.detail}" if problem.detail else text
