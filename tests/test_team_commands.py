"""Which account to use next, through the real bot in this process (discord.py's own tree,
the loopback Discord and useapi.net, a real SQLite history), and in the digest's report."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from state import Database, SqliteTarget, open_database
from state.moments import to_epoch
from testbed.discord_stub import DiscordStub
from testbed.upstream import FakeUseapi, sample_features
from tests.support.bots import BotFactory, embeds_of, run_command
from usage.chat.report import usage_report
from usage.domain.history import History
from usage.domain.snapshot import Batch, Pool, Snapshot

D = timedelta(days=1)


def week_of(now: datetime, per_day: float, *batches: tuple[float, float]) -> list[Snapshot]:
    """A week of hourly reads spending `per_day` from the first of `batches` (credits left
    now, days until they expire): the history behind a pace of `per_day`."""
    found = []
    for hour in range(7 * 24, -1, -1):
        spent_since = per_day * hour / 24
        held = [
            Batch(Pool.VIDEO, amount + (spent_since if i == 0 else 0), now + days * D)
            for i, (amount, days) in enumerate(batches)
        ]
        found.append(
            Snapshot(now - timedelta(hours=hour), sum(b.amount for b in held), 0, tuple(held))
        )
    return found


def the_example(now: datetime) -> dict[str, list[Snapshot]]:
    """The hand-computed example of tests/test_team.py: a spends 10 a day (100 credits ending
    in 5 days, 120 in 20), b 5 a day (60 in 2 days, 100 in 10): 160 credits expire unused
    at each account's own pace, 110 if the team spends from the first-expiring account."""
    return {
        "a": week_of(now, 10, (100, 5), (120, 20)),
        "b": week_of(now, 5, (60, 2), (100, 10)),
    }


async def seed(database: Database, now: datetime) -> None:
    await History(database).record([(a, s) for a, h in the_example(now).items() for s in h])


def listed(upstream: FakeUseapi, now: datetime) -> None:
    """useapi.net answers with the balance where the history left off."""
    for account, history in the_example(now).items():
        features = sample_features(batches_in_hours=[], audio_in_hours=None, total=0, now=now)
        latest = history[-1]
        features["totalCredits"] = int(latest.video)
        features["creditExpireText"] = [
            {"credit": int(b.amount), "endTime": to_epoch(b.ends_at) * 1000} for b in latest.batches
        ]
        upstream.add_account(account, features)


async def test_usage_of_several_accounts_names_each_batch_and_says_which_account_to_use_next(
    make_bot: BotFactory, discord_stub: DiscordStub, upstream: FakeUseapi, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    db = await open_database(SqliteTarget(tmp_path / "bot.sqlite3"))
    try:
        await seed(db, now)
    finally:
        await db.close()
    listed(upstream, now)
    bot = await make_bot(USEAPI_ACCOUNTS="a,b")
    item = await run_command(bot, discord_stub, "usage")
    [embed] = embeds_of(item)
    text = embed["description"]
    assert embed["title"] == "Usage · 2 accounts"
    assert "about **160** credits will expire unused." in text, text
    assert "If the team spends from the account whose credits expire first, about **110**" in text
    order = re.search(r"\(50 fewer\): (.*)\.$", text, re.MULTILINE)
    assert order is not None, text
    assert re.findall(r"(?:use|then) \*\*(\w)\*\* until <t:\d+:f>", order[1]) == [
        "b",
        "a",
        "b",
        "a",
    ]
    batches = [line for line in text.splitlines() if line.startswith("⏳")]
    assert [line.split(" · ")[0] for line in batches] == [
        "⏳ **b**",
        "⏳ **a**",
        "⏳ **b**",
        "⏳ **a**",
    ]
    assert re.findall(r"about \*\*(\d+)\*\* unused", "\n".join(batches)) == ["50", "50", "60"]
    assert [f["name"] for f in embed["fields"]] == ["a", "b"]
    assert "about **50** credits will expire unused" in embed["fields"][0]["value"]
    assert "about **110** credits will expire unused" in embed["fields"][1]["value"]
    assert upstream.feature_calls("a") == [], "history enough: nothing read"

    credits = await run_command(bot, discord_stub, "credits")
    [summary] = embeds_of(credits)
    first_line = summary["description"].splitlines()[0]
    assert first_line.startswith(
        "At each account's own pace about **160** video/image credits expire unused; if the "
        "team spends from the account whose credits expire first, about **110** (50 fewer): "
        "use **b** until <t:"
    ), first_line


async def test_the_digest_of_several_accounts_gives_the_team_view(database: Database) -> None:
    now = datetime.now(UTC)
    await seed(database, now)
    embeds, chart = await usage_report(
        History(database), ["a", "b"], period=7, window=7 * D, now=now, digest=True
    )
    text = embeds[0].description or ""
    assert "about **160** credits will expire unused." in text
    assert "expire first, about **110** (50 fewer): use **b** until <t:" in text
    assert all(" · " in line for line in text.splitlines() if line.startswith("⏳"))
    assert chart is not None and "110 video/image credits expire unused" in (
        chart.description or ""
    )
