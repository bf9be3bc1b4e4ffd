"""The names of the bot's settings, and the warning for a variable that looks like one but
is not (a misspelling is otherwise ignored without a word)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

SETTING_NAMES: tuple[str, ...] = (
    "DISCORD_TOKEN",
    "USEAPI_TOKEN",
    "USEAPI_BASE_URL",
    "USEAPI_ACCOUNTS",
    "USEAPI_TIMEOUT_SECONDS",
    "USEAPI_MAX_RPS",
    "DISCORD_GUILD_ID",
    "ALLOWED_GUILD_IDS",
    "DATABASE_URL",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "LOG_COLOR",
    "HEALTH_PORT",
    "HEALTH_HOST",
    "ALERT_CHANNEL_ID",
    "ALERT_MENTION_ROLE_ID",
    "ALERT_MANAGER_ROLE_ID",
    "EXPIRY_WARNING_HOURS",
    "CHECK_INTERVAL_MINUTES",
    "POLL_CONCURRENCY",
    "USAGE_WINDOW_DAYS",
    "STATS_INTERVAL_MINUTES",
    "DIGEST_SCHEDULE",
)
"""Every environment variable the bot reads, in the order of the settings reference."""

PREFIXES = (
    "DISCORD_",
    "USEAPI_",
    "ALERT_",
    "ALLOWED_",
    "CHECK_",
    "EXPIRY_",
    "HEALTH_",
    "POLL_",
    "USAGE_",
    "DIGEST_",
    "STATS_",
    "LOG_",
)
"""What the names of the bot's settings start with: a variable starting so that is not a
setting is most likely a misspelt one. (DATABASE_ is left out: platforms set other
DATABASE_* variables of their own.)"""


def unknown_names(names: Iterable[str]) -> list[str]:
    """One warning per variable that starts like a setting but is none, naming the closest."""
    warnings = []
    for name in sorted(set(names)):
        if name in SETTING_NAMES or not name.startswith(PREFIXES):
            continue
        close = difflib.get_close_matches(name, SETTING_NAMES, n=1, cutoff=0.6)
        hint = f": did you mean {close[0]}?" if close else ": no setting has that name"
        warnings.append(f"{name} is not a setting of this bot and is ignored{hint}")
    return warnings
