from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from chat import limits
from chat.replies import problem_embed
from credits.embeds import credits_embed, summary_embeds
from credits.models import models_embeds
from minimax_api import AccountInfo, Features, ModelInfo, parse_features
from minimax_api.errors import RateLimited, TokenRefused
from minimax_api.problems import Problem, describe
from testbed.upstream import sample_features
from tests.support.checks import message_problems

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOSTILE = "@everyone <@&123> **bold** `code` " + "x" * 5000


def present(text: str | None) -> str:
    """An embed text the test expects to be there (discord.py types each one as optional)."""
    assert text is not None
    return text


def assert_sendable(embeds: list[discord.Embed]) -> None:
    for message in limits.pack_messages(embeds):
        payload = {
            "embeds": [e.to_dict() for e in message],
            "allowed_mentions": discord.AllowedMentions.none().to_dict(),
        }
        assert message_problems(payload) == []


def test_credits_embed_shows_balance_plan_batches_audio_queues() -> None:
    f = parse_features(sample_features(batches_in_hours=[30, 2], now=NOW), fetched_at=NOW)
    session = AccountInfo("acc", session_expires_at=NOW + timedelta(days=10))
    embed = credits_embed(f, account="acc", now=NOW, account_info=session)
    text = str(embed.to_dict())
    assert embed.title == "Credits · acc"
    assert "**100** video/image credits" in present(embed.description)
    assert "Plan: **Free** (not paid)" in present(embed.description)
    assert "100 points will expire within 24 hours" in present(embed.description)
    batches = present(embed.fields[0].value).splitlines()
    two_h = int((NOW + timedelta(hours=2)).timestamp())
    assert batches[0] == f"**20** credits · expires <t:{two_h}:R> (<t:{two_h}:f>)"
    assert "**10** credits" in batches[1]
    assert "**100** audio credits" in text
    assert "Video: **3** · Image: **5**" in text
    assert "MiniMax session" in text
    assert embed.colour == discord.Colour.red()
    assert embed.timestamp == NOW
    assert_sendable([embed])


def test_colour_says_how_urgent_the_soonest_expiry_is() -> None:
    def colour(hours: list[float]) -> discord.Colour | None:
        f = parse_features(sample_features(batches_in_hours=hours, audio_in_hours=None, now=NOW))
        return credits_embed(f, account=None, now=NOW).colour

    assert colour([200]) == discord.Colour.green()
    assert colour([48, 200]) == discord.Colour.orange()
    assert colour([5]) == discord.Colour.red()
    assert colour([]) == discord.Colour.light_grey()


def test_forty_batches_and_hostile_text_stay_within_limits() -> None:
    payload = sample_features(
        batches_in_hours=[1 + i for i in range(40)], audio_in_hours=list(range(1, 41)), now=NOW
    )
    payload["expireText"] = HOSTILE
    payload["memberName"] = HOSTILE
    embed = credits_embed(parse_features(payload), account="a" * 500, now=NOW)
    assert "@everyone" not in present(embed.description)
    assert "…and 25 more batches" in str(embed.to_dict())
    assert_sendable([embed])


def test_sixty_models_with_long_strings_split_within_limits() -> None:
    models = [
        ModelInfo(
            model_id=f"model-{i}-" + "y" * 300,
            cost=i,
            members_only=i % 2 == 0,
            free_count=i % 3,
            durations=tuple(str(d) for d in range(50)),
            resolutions=(HOSTILE,),
            modes=("fast", "@here"),
        )
        for i in range(60)
    ]
    embeds = models_embeds(models, account="acc", fetched_at=NOW)
    shown = [present(f.value) for e in embeds for f in e.fields]
    assert len(shown) == 60
    assert all("@everyone" not in value and "@here" not in value for value in shown)
    assert len(limits.pack_messages(embeds)) > 1
    assert_sendable(embeds)


def test_known_model_shows_name_and_id() -> None:
    f = parse_features(sample_features(now=NOW))
    embed = models_embeds(f.models, account=None)[0]
    assert embed.fields[1].name == "T2V-01 (Hailuo 1.0 text to video) · 23000"
    assert embed.fields[1].value == "**30** credits per generation"
    assert present(embed.description).startswith("7 models")


def test_no_models() -> None:
    [embed] = models_embeds((), account="a")
    assert "no models" in present(embed.description)


def test_summary_of_thirty_accounts() -> None:
    good = parse_features(sample_features(batches_in_hours=[5], now=NOW))
    results: list[tuple[str, Features | Problem]] = [(f"acc{i}", good) for i in range(29)]
    results.append(("bad", describe(TokenRefused())))
    embeds = summary_embeds(results, now=NOW)
    fields = [f for e in embeds for f in e.fields]
    assert len(fields) == 30 and len(embeds) == 2
    assert "**100** credits" in present(fields[0].value) and "<t:" in present(fields[0].value)
    assert "refused the API token" in present(fields[-1].value)
    assert_sendable(embeds)


def test_problem_embed_escapes_upstream_text() -> None:
    embed = problem_embed(describe(RateLimited("@everyone " + "z" * 5000, retry_after=20)))
    assert "20 seconds" in present(embed.description)
    assert_sendable([embed])


def test_pack_messages_respects_ten_embeds_and_6000_characters() -> None:
    small = [discord.Embed(title="t", description="d") for _ in range(25)]
    assert [len(m) for m in limits.pack_messages(small)] == [10, 10, 5]
    big = [discord.Embed(description="x" * 4000) for _ in range(3)]
    assert [len(m) for m in limits.pack_messages(big)] == [1, 1, 1]


def test_pack_lines_never_exceeds_the_limit() -> None:
    blocks = limits.pack_lines(["a" * 600, "b" * 600, "c" * 2000])
    assert [len(b) for b in blocks] == [600, 600, 1024]


def test_alerts_due_together_are_packed_rendered_once_and_each_carries_its_ref(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from alerts.domain.due import ExpiryKind
    from alerts.domain.notices import ExpiringSoon, ExpiryItem, Notice
    from alerts.render import messages

    now = datetime(2026, 3, 2, tzinfo=UTC)
    items = tuple(
        ExpiryItem(ExpiryKind.VIDEO, 100 + i, now + timedelta(hours=20 + i), 24) for i in range(20)
    )
    notices = [Notice(f"a{i:024x}", f"acct{i}", ExpiringSoon(items), now) for i in range(12)]
    rendered: list[str] = []
    real = messages.notice_embed

    def counting(notice: Notice) -> discord.Embed:
        rendered.append(notice.nonce)
        return real(notice)

    monkeypatch.setattr(messages, "notice_embed", counting)
    found = messages.alert_messages(notices, 7)
    assert sorted(rendered) == sorted(n.nonce for n in notices), "each rendered once"
    assert len(found) > 1, "twelve long alerts do not fit one message"
    assert [n for unit, _ in found for n in unit] == notices, "in order, none lost"
    for unit, message in found:
        embeds = message.embeds or []
        assert [e.footer.text for e in embeds] == [f"{messages.REF} {n.nonce}" for n in unit]
        assert sum(len(e) for e in embeds) + messages.ANSWER_ROOM * len(embeds) <= 6000
        assert message.content and message.content.startswith("<@&7> ")
        assert message.allowed_mentions.roles == [discord.Object(7)]


def quiet_status(quiet_text: str | list[str], now: datetime) -> str:
    """The /alerts status description with these quiet hours (a text, or texts read one by
    one, beyond what one text may hold), checked sendable."""
    from alerts.domain.account_rules import RuleBook, defaults
    from alerts.domain.quiet import parse_windows
    from alerts.render.status import AlertsShown, status_embed
    from settings import load_settings

    settings = load_settings({"DISCORD_TOKEN": "x", "USEAPI_TOKEN": "y", "ALERT_CHANNEL_ID": "5"})
    shown = AlertsShown(
        [],
        running=True,
        leader=None,
        last_run=None,
        send_errors={},
        book=RuleBook(defaults(settings), {}),
        quiet=tuple(
            w
            for t in ([quiet_text] if isinstance(quiet_text, str) else quiet_text)
            for w in parse_windows(t)
        ),
        now=now,
    )
    embed = status_embed(settings, shown)
    assert_sendable([embed])
    return embed.description or ""


def test_status_shows_the_quiet_hours_and_until_when_they_are_in_force() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    friday_night = datetime(2026, 12, 4, 23, 0, tzinfo=berlin).astimezone(UTC)
    ends = int(datetime(2026, 12, 5, 8, 0, tzinfo=berlin).timestamp())
    text = quiet_status("Mon-Fri 22:00-08:00 Europe/Berlin", friday_night)
    assert (
        f"Quiet hours: Mon–Fri 22:00–08:00 Europe/Berlin: **in force** until <t:{ends}:t>" in text
    )
    text = quiet_status("Mon-Fri 22:00-08:00 Europe/Berlin", friday_night - timedelta(hours=12))
    assert "Mon–Fri 22:00–08:00 Europe/Berlin: not in force now" in text
    assert "<t:" not in text.split("Quiet hours")[1].split("\n")[0]
    text = quiet_status("off", friday_night)
    assert "Europe/Berlin" not in text and "in force" not in text


def test_ten_long_quiet_windows_keep_the_status_within_limits() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)  # a Tuesday
    zone = "America/Argentina/ComodRivadavia"
    windows = [f"Mon,Wed,Fri {h}:00-{h}:30 {zone}" for h in range(10)]
    text = quiet_status(windows, now)
    shown = "; ".join(f"Mon,Wed,Fri {h:02d}:00–{h:02d}:30 {zone}" for h in range(10))
    assert f"Quiet hours: {shown}: not in force now" in text, "all ten, unclipped"


def test_the_quiet_answer_says_what_is_set_whether_in_force_and_the_last_hour_pings() -> None:
    from alerts.domain.quiet import parse_windows
    from alerts.render.status import quiet_said

    windows = parse_windows("daily 00:00-07:00 UTC")
    night, noon = datetime(2026, 12, 4, 3, tzinfo=UTC), datetime(2026, 12, 4, 12, tzinfo=UTC)
    said = quiet_said(windows, night)
    ends = int(datetime(2026, 12, 4, 7, tzinfo=UTC).timestamp())
    assert "daily 00:00–07:00 UTC" in said and f"**in force** until <t:{ends}:t>" in said
    assert "without pings" in said and "1 hour or less pings anyway" in said
    assert "not in force now" in quiet_said(windows, noon)
    assert "off" in quiet_said((), noon) and "in force" not in quiet_said((), noon)
    assert len(quiet_said(windows, night)) <= 2000


def test_an_answer_and_a_resolution_both_show_whole_and_fit_the_room_kept_for_them() -> None:
    from alerts.domain.notices import LowBalance, Notice
    from alerts.render import messages

    now = datetime(2026, 12, 3, 12, tzinfo=UTC)
    notices = [
        Notice(f"a{i:024x}", f"account-{i}", LowBalance("video", 5, 100), now) for i in range(12)
    ]
    answer = messages.snoozed_line(900000000000000300, now + timedelta(days=7))
    reason = "the balance is back to 1000000, at or above the threshold of its rule now"
    for unit, message in messages.alert_messages(notices, None):
        accounts = [n.account for n in unit]
        embeds = messages.with_answers(
            message.embeds or [],
            accounts,
            dict.fromkeys(accounts, answer),
            {n.nonce: (reason, now) for n in unit},
        )
        for embed in embeds:
            answered, resolved = embed.fields
            assert answered.value == answer, "the answer whole, beside a resolution"
            assert resolved.value == messages.resolved_line(reason, now)
        assert sum(len(e) for e in embeds) <= 6000
