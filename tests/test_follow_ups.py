"""What follows a posted alert, on both databases: escalations queued once (by two processes
at once too), at most their number, held back by quiet hours, closed by an answer, a snooze,
a resolution or the end of what they announced; resolutions once, with one reply only after
an escalation."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from alerts.domain.account_rules import RuleBook, defaults
from alerts.domain.answers import AlertGroup, AlertGroups, Announced, Answer
from alerts.domain.due import ExpiryKind
from alerts.domain.follow_ups import FollowUps, Plan, resolve_expiry
from alerts.domain.notices import (
    Escalated,
    ExpiringSoon,
    ExpiryItem,
    LowBalance,
    Notice,
    ResolvedReply,
)
from alerts.domain.silences import Silences, Snooze
from alerts.domain.store import AlertStore
from settings import load_settings
from state import Database

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ROLE = 900000000000000777
CHANNEL, MESSAGE = 111, 222
EVERY = timedelta(minutes=30)
BOOK = RuleBook(defaults(load_settings({"DISCORD_TOKEN": "x", "USEAPI_TOKEN": "y"})), {})


def expiry(account: str, nonce: str, hours: float = 20) -> Notice:
    item = ExpiryItem(ExpiryKind.VIDEO, 10, NOW + timedelta(hours=hours), 24)
    return Notice(nonce, account, ExpiringSoon((item,)), NOW)


def follow_ups(db: Database, *, most: int = 1, quiet: datetime | None = None) -> FollowUps:
    async def quiet_until(now: datetime) -> datetime | None:
        return quiet if quiet is not None and now < quiet else None

    return FollowUps(
        db,
        AlertGroups(db),
        Silences(db),
        policy=lambda book, account: Plan(EVERY, ROLE, most),
        quiet_until=quiet_until,
    )


async def post(db: Database, ups: FollowUps, *notices: Notice, ref: str = "aref") -> None:
    """Queue `notices`, and post them as one message as the delivery does."""
    store = AlertStore(db)
    for notice in notices:
        await store.queue(notice, notified=False)
        await store.mark_sent(notice.nonce, MESSAGE, NOW)
    about = [Announced(n.account, "video", NOW + timedelta(hours=20)) for n in notices]
    group = AlertGroup(ref, [n.account for n in notices], about, nonces=[n.nonce for n in notices])
    await AlertGroups(db).save(group, NOW)
    await ups.posted(list(notices), ref, CHANNEL, MESSAGE, NOW, BOOK)


async def replies(db: Database) -> list[Notice]:
    return [
        n
        for n in await AlertStore(db).pending()
        if isinstance(n.payload, Escalated | ResolvedReply)
    ]


async def test_an_unanswered_alert_escalates_once_per_step_and_at_most_its_number(
    database: Database,
) -> None:
    ups = follow_ups(database, most=2)
    await post(database, ups, expiry("a", "an1"))
    assert await ups.escalate(NOW + EVERY - timedelta(seconds=1)) == 0, "not due yet"
    assert await ups.escalate(NOW + EVERY) == 1
    [first] = await replies(database)
    assert isinstance(first.payload, Escalated)
    assert first.payload.accounts == ("a",) and first.payload.role_id == ROLE
    assert (first.payload.message_id, first.payload.nth) == (MESSAGE, 1)
    assert first.payload.waited == EVERY.total_seconds()
    assert await ups.escalate(NOW + EVERY + timedelta(minutes=1)) == 0, "the next is later"
    assert await ups.escalate(NOW + 2 * EVERY) == 1
    assert await ups.escalate(NOW + 5 * EVERY) == 0, "at most 2"
    assert [n.payload.nth for n in await replies(database)] == [1, 2]  # type: ignore[union-attr]


async def test_two_processes_at_once_queue_one_follow_up(database: Database) -> None:
    one, other = follow_ups(database, most=2), follow_ups(database, most=2)
    await post(database, one, expiry("a", "an1"), expiry("b", "an2"))
    at = NOW + EVERY
    seen_by_one, seen_by_other = await one.due(at), await other.due(at)
    assert len(seen_by_one) == len(seen_by_other) == 2, "both read them before either sends"
    found = await asyncio.gather(one.escalate(at, seen_by_one), other.escalate(at, seen_by_other))
    assert sorted(found) == [0, 1]
    [reply] = await replies(database)
    assert isinstance(reply.payload, Escalated) and reply.payload.accounts == ("a", "b")


async def test_an_answer_a_snooze_an_acknowledged_or_ended_batch_closes_it(
    database: Database,
) -> None:
    ups = follow_ups(database)
    await post(database, ups, expiry("a", "an1"), expiry("b", "an2"), ref="r1")
    await post(database, ups, expiry("c", "an3"), ref="r2")
    await post(database, ups, expiry("d", "an4", hours=0.4), ref="r3")
    groups = AlertGroups(database)
    picked = await groups.pick("r1", 7, ["a"], ["a", "b"])
    assert picked
    pressed = await groups.press("r1", 7, [False, False], lambda group, accounts: Answer("✅"))
    assert pressed is not None and pressed.answered == ["a"]
    await Silences(database).snooze(Snooze("c", NOW + timedelta(days=1), 7, "", NOW))
    assert await ups.escalate(NOW + EVERY) == 1, "only b: a answered, c snoozed, d ended"
    [reply] = await replies(database)
    assert isinstance(reply.payload, Escalated) and reply.payload.accounts == ("b",)


async def test_quiet_hours_hold_a_follow_up_until_they_end(database: Database) -> None:
    end = NOW + EVERY + timedelta(hours=2)
    ups = follow_ups(database, quiet=end)
    await post(database, ups, expiry("a", "an1"))
    assert await ups.escalate(NOW + EVERY) == 0, "quiet"
    assert await ups.escalate(end - timedelta(seconds=1)) == 0, "still quiet"
    assert await ups.escalate(end) == 1, "due at the end of the quiet hours"


async def test_a_resolution_closes_the_escalation_and_replies_only_after_one(
    database: Database,
) -> None:
    ups = follow_ups(database, most=3)
    low = Notice("an1", "a", LowBalance("video", 50, 100), NOW)
    await post(database, ups, low, ref="r1")
    await post(database, ups, expiry("b", "an2"), ref="r2")
    assert await ups.resolve("an2", "renewed", NOW + timedelta(minutes=1)), "posted: resolved"
    assert await ups.escalate(NOW + EVERY) == 1, "a only: b was resolved"
    assert await ups.resolve("an1", "the balance is back", NOW + EVERY + timedelta(minutes=1))
    assert await ups.resolve("an1", "again", NOW + 2 * EVERY), "a second time changes nothing"
    assert await ups.escalate(NOW + 3 * EVERY) == 0, "its escalation ended"
    kinds = [type(n.payload) for n in await replies(database)]
    assert kinds == [Escalated, ResolvedReply], "one reply: a had escalated, b had not"
    assert not await ups.resolve("never-posted", "x", NOW)
    group = await AlertGroups(database).get("r1")
    assert group is not None and group.open_accounts() == [] and "an1" in group.resolved


async def test_a_renewed_or_used_up_batch_resolves_its_expiry_alert(database: Database) -> None:
    ups = follow_ups(database)
    await post(database, ups, expiry("a", "an1"), ref="r1")
    await post(database, ups, expiry("a", "an2", hours=30), ref="r2")
    still = [("video", NOW + timedelta(hours=30, minutes=1))]  # the same batch, a minute on
    assert await resolve_expiry(database, "a", still, NOW, sessions_known=True) == 1
    group = await AlertGroups(database).get("r1")
    assert group is not None and group.resolved["an1"][0] == "renewed or used up in time"
    later = NOW + timedelta(hours=31)
    assert await resolve_expiry(database, "a", [], later, sessions_known=True) == 0, "expired"


async def test_what_follows_an_old_alert_is_forgotten_with_its_message(database: Database) -> None:
    ups = follow_ups(database)
    await post(database, ups, expiry("a", "an1"), ref="r1")
    await ups.resolve("an1", "renewed", NOW)
    await AlertGroups(database).forget_before(NOW + timedelta(days=1))
    for table in ("alert_posts", "alert_resolved", "escalations", "alert_messages"):
        assert await database.fetch(f"SELECT * FROM {table}") == [], table
