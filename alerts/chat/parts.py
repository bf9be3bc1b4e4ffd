"""The long-lived objects of the alerts feature, as the composition root (`startup.compose`) hands
them to the Alerts cog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord

from alerts.chat.channel import DiscordAlertChannel
from alerts.chat.checks import ExpiryChecks
from alerts.chat.leadership import Leadership
from alerts.domain.account_rules import RuleBook
from alerts.domain.delivery import Delivery
from alerts.domain.quiet import QuietHours
from alerts.domain.rule_store import RuleStore
from alerts.domain.silences import Silences
from alerts.domain.status import AlertStatus
from alerts.domain.store import AlertStore


@dataclass(frozen=True)
class AlertParts:
    store: AlertStore
    silences: Silences
    rule_store: RuleStore
    rules: Callable[[], Awaitable[RuleBook]]
    """The rule book as it is now in the database, over the settings."""
    channel: DiscordAlertChannel
    delivery: Delivery[Any]
    checks: ExpiryChecks
    leadership: Leadership
    status: AlertStatus
    controls: tuple[type[discord.ui.DynamicItem[Any]], ...]
    """The buttons and menu to register, bound to what answers them."""
    quiet: QuietHours
