"""The composition root: every long-lived object of the bot is built here, once, and handed
to what needs it. `bot.py` opens the resources (database, HTTP session, metrics) and calls
`compose`; nothing else constructs a store, a watcher or a delivery, and no cog looks a
collaborator up."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import aiohttp

from alerts.chat.channel import DiscordAlertChannel
from alerts.chat.checks import ExpiryChecks, StatsChecks
from alerts.chat.controls import AlertAnswers, bound
from alerts.chat.direct import Followers
from alerts.chat.leadership import Leadership
from alerts.chat.messages import AlertMessages
from alerts.chat.parts import AlertParts
from alerts.domain.account_rules import RuleBook, defaults
from alerts.domain.answers import AlertGroups
from alerts.domain.delivery import Delivery
from alerts.domain.follow_ups import FollowUps, escalation_plan
from alerts.domain.follows import Follows
from alerts.domain.job_stats import StatsReader
from alerts.domain.notices import Notice
from alerts.domain.quiet import QuietHours
from alerts.domain.rule_store import RuleStore
from alerts.domain.silences import Silences
from alerts.domain.status import AlertStatus, Routes
from alerts.domain.store import AlertStore
from alerts.domain.watcher import Watcher
from app.access import Access
from app.client import MiniMaxBot
from app.metrics import Metrics
from chat.accounts import AccountDirectory
from cogs.alerts import Alerts
from cogs.credits import Credits
from cogs.follow import Follow
from cogs.models import Models
from cogs.usage import Usage
from minimax_api import MiniMaxClient, RateLimiter, RetryPolicy
from settings import Settings
from state import Claims, Database
from usage.domain.history import History
from usage.domain.jobs import JobStore


def make_client(
    session: aiohttp.ClientSession,
    settings: Settings,
    observe: Callable[[str, str], None] | None = None,
    retry: RetryPolicy | None = None,
) -> MiniMaxClient:
    return MiniMaxClient(
        session,
        token=settings.useapi_token,
        base_url=settings.useapi_base_url,
        timeout=settings.useapi_timeout_seconds,
        limiter=RateLimiter(settings.useapi_max_rps, burst=settings.useapi_max_rps),
        retry=retry,
        observe=observe,
    )


def compose(
    settings: Settings,
    *,
    db: Database,
    minimax: MiniMaxClient,
    metrics: Metrics,
    identity: str,
) -> MiniMaxBot:
    """The bot with everything it uses; its cogs are added when it starts (`setup_hook`)."""
    accounts = AccountDirectory(minimax, settings.useapi_accounts)
    history = History(db)
    jobs = JobStore(db)
    status = AlertStatus(Routes.of(RuleBook(defaults(settings), {})))
    bot: MiniMaxBot

    def channel_guild(channel_id: int) -> int | None:
        """The server a channel is in, when the bot sees it."""
        guild = getattr(bot.get_channel(channel_id), "guild", None)
        return guild.id if guild is not None else None

    access = Access(settings, channel_guild)
    follows = Follows(db)
    bot = MiniMaxBot(
        settings,
        db=db,
        minimax=minimax,
        metrics=metrics,
        identity=identity,
        accounts=accounts,
        claims=Claims(db, identity),
        access=access,
        alert_status=status,
        cogs=lambda: [
            Credits(accounts, history, settings),
            Models(accounts),
            Usage(accounts, history, jobs, settings),
            Alerts(
                bot,
                alerts,
                settings=settings,
                accounts=accounts,
                history=history,
                minimax=minimax,
                access=access,
            ),
            Follow(follows, accounts),
        ],
    )
    followers = Followers(bot, follows, access.serves)
    alerts = _alerts(
        bot, settings, db, minimax, metrics, identity, history, jobs, status, followers
    )
    return bot


def _alerts(
    bot: MiniMaxBot,
    settings: Settings,
    db: Database,
    minimax: MiniMaxClient,
    metrics: Metrics,
    identity: str,
    history: History,
    jobs: JobStore,
    status: AlertStatus,
    followers: Followers,
) -> AlertParts:
    window = settings.usage_window
    store = AlertStore(db)
    silences = Silences(db)
    groups = AlertGroups(db)
    rule_store = RuleStore(db)
    below = defaults(settings)

    async def rules() -> RuleBook:
        return await rule_store.book(below)

    watcher = Watcher(
        minimax,
        store,
        accounts=settings.useapi_accounts,
        thresholds=settings.expiry_warning_hours,
        concurrency=settings.poll_concurrency,
        history=history,
        window=window,
        silences=silences,
        groups=groups,
        rules=rules,
        useapi=True,
    )
    messages = AlertMessages(
        history, status, configured=settings.useapi_accounts, window=window, jobs=jobs
    )
    channel = DiscordAlertChannel(bot, messages)

    def sent(notice: Notice) -> None:
        metrics.alerts.labels(kind=str(notice.kind)).inc()
        followers.sent(notice)

    quiet = QuietHours(db)
    follow_ups = FollowUps(
        db,
        groups,
        silences,
        policy=escalation_plan,
        edits=channel,
        quiet_until=quiet.until,
    )
    delivery = Delivery(
        store,
        channel,
        rules,
        silences=silences,
        groups=groups,
        follow_ups=follow_ups,
        quiet_until=quiet.until,
        on_sent=sent,
    )
    checks = ExpiryChecks(
        watcher,
        store,
        rules,
        delivery,
        status,
        metrics.check_duration,
        interval_minutes=settings.check_interval_minutes,
        digest=settings.digest,
        follow_ups=follow_ups,
    )
    reader = StatsReader(
        minimax,
        jobs,
        window_days=settings.usage_window_days,
        interval=timedelta(minutes=settings.stats_interval_minutes),
        store=store,
        rules=rules,
        silences=silences,
    )
    stats = StatsChecks(
        reader,
        status,
        checks.checked,
        interval_minutes=settings.stats_interval_minutes,
        delivery=delivery,
    )
    leadership = Leadership(
        bot,
        db,
        identity,
        status,
        checks=checks.loop,
        while_leading=checks.while_leading,
        rules=rules,
        stats=stats.loop,
    )
    return AlertParts(
        store=store,
        silences=silences,
        rule_store=rule_store,
        rules=rules,
        channel=channel,
        delivery=delivery,
        checks=checks,
        leadership=leadership,
        status=status,
        controls=bound(AlertAnswers(groups)),
        quiet=quiet,
    )
