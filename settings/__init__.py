"""The bot's settings: read once from the environment into one typed, validated object.

One cohesive thing at about 330 lines: every setting, its default and the one-line complaint
its bad value gets, in one file, so the reference and the checks cannot drift apart."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from yarl import URL

from minimax_api import DEFAULT_BASE_URL
from settings.digest import DigestSchedule, parse_digest
from settings.errors import SettingsError
from settings.names import SETTING_NAMES, unknown_names
from state import DatabaseTarget, SqliteTarget, parse_database_url

__all__ = [
    "SETTING_NAMES",
    "DigestSchedule",
    "Settings",
    "SettingsError",
    "interval_warnings",
    "load_settings",
    "startup_warnings",
    "unknown_names",
]

DEFAULT_DATABASE = SqliteTarget(Path("data/bot.sqlite3"))
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class Settings:
    discord_token: str
    useapi_token: str
    useapi_base_url: str = DEFAULT_BASE_URL
    useapi_accounts: tuple[str, ...] = ()
    useapi_timeout_seconds: float = 20.0
    guild_id: int | None = None
    allowed_guild_ids: tuple[int, ...] = ()
    database: DatabaseTarget = DEFAULT_DATABASE
    log_level: str = "INFO"
    alert_channel_id: int | None = None
    alert_mention_role_id: int | None = None
    alert_manager_role_id: int | None = None
    expiry_warning_hours: tuple[float, ...] = (72.0, 24.0, 1.0)
    check_interval_minutes: float = 30.0
    poll_concurrency: int = 8
    useapi_max_rps: float = 5.0
    health_port: int | None = None
    health_host: str = "0.0.0.0"
    log_format: str = "text"
    log_color: str = "auto"
    usage_window_days: int = 7
    stats_interval_minutes: float = 15.0
    digest: DigestSchedule | None = None

    @property
    def usage_window(self) -> timedelta:
        """How far back the usage history is kept and the pace is read."""
        return timedelta(days=self.usage_window_days)


def _get(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _required(env: Mapping[str, str], name: str, fix: str) -> str:
    value = _get(env, name)
    if not value:
        raise SettingsError(f"{name} is not set: {fix}")
    return value


def _token(env: Mapping[str, str], name: str, fix: str, *, required: bool = True) -> str:
    """A token as given, or the one-line complaint for the shapes a pasted token takes by
    mistake: in quotes (`docker --env-file` keeps them), with a prefix, or split."""
    value = _required(env, name, fix) if required else _get(env, name)
    if value and (value[0] in "\"'" or value[-1] in "\"'"):
        raise SettingsError(f"{name} is in quotes: remove the quotes around the token")
    prefix = next((p for p in ("Bot ", "Bearer ") if value.lower().startswith(p.lower())), None)
    if prefix:
        raise SettingsError(f"{name} starts with {prefix.strip()!r}: give the token alone")
    if any(c.isspace() for c in value):
        raise SettingsError(f"{name} has a space in it: copy the token again, in one piece")
    return value


HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")


def _host(env: Mapping[str, str]) -> str:
    raw = _get(env, "HEALTH_HOST")
    if not raw:
        return Settings.health_host
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        if not HOST.fullmatch(raw):
            raise SettingsError(
                f"HEALTH_HOST={raw!r} is not an address to listen on: use 0.0.0.0 (every "
                "interface), 127.0.0.1 (this machine only), or leave it empty"
            ) from None
    return raw


def _snowflake(env: Mapping[str, str], name: str, what: str) -> int | None:
    raw = _get(env, name)
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**64:
        raise SettingsError(
            f"{name}={raw!r} is not a Discord id: use the number from 'Copy {what} ID' "
            "(Discord developer mode), or leave it empty"
        )
    return int(raw)


def _snowflakes(env: Mapping[str, str], name: str, what: str) -> tuple[int, ...]:
    """A comma-separated list of Discord ids, in order, each once."""
    seen: dict[int, None] = {}
    for part in _get(env, name).split(","):
        raw = part.strip()
        if not raw:
            continue
        if not raw.isdigit() or not 0 < int(raw) < 2**64:
            raise SettingsError(
                f"{name}: {raw!r} is not a Discord id: list the numbers from 'Copy {what} ID' "
                "(Discord developer mode) separated by commas, e.g. 123456789012345678, "
                "or leave it empty"
            )
        seen.setdefault(int(raw), None)
    return tuple(seen)


def _positive(env: Mapping[str, str], name: str, default: float, unit: str) -> float:
    raw = _get(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise SettingsError(f"{name}={raw!r} is not a positive number of {unit}: e.g. {default:g}")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(env, name)
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise SettingsError(f"{name}={raw!r} is not a whole number from 1 to 1000: e.g. {default}")
    return int(raw)


def _port(env: Mapping[str, str]) -> int | None:
    raw = _get(env, "HEALTH_PORT")
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SettingsError(f"HEALTH_PORT={raw!r} is not a TCP port (1-65535), e.g. 8080")
    return int(raw)


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = (_get(env, name) or choices[0]).lower()
    if raw not in choices:
        raise SettingsError(f"{name}={raw!r} must be one of: " + ", ".join(choices))
    return raw


MAX_STEP_HOURS = 90 * 24
"""The longest lead time a step may have (90 days): longer warns of nothing useful, and far
longer cannot be turned into a time at all."""


class StepTooLong(ValueError):
    """A step longer than MAX_STEP_HOURS."""


def parse_steps(raw: str) -> tuple[float, ...]:
    """Warning steps in hours ("72,24,1"), largest first; ValueError when one is not a
    positive number, StepTooLong when one is over MAX_STEP_HOURS."""
    values: set[float] = set()
    for part in raw.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{part.strip()!r} is not a positive number of hours")
        if value > MAX_STEP_HOURS:
            raise StepTooLong(f"{part.strip()!r} is more than {MAX_STEP_HOURS} hours")
        values.add(value)
    return tuple(sorted(values, reverse=True))


def _hours(env: Mapping[str, str]) -> tuple[float, ...]:
    name = "EXPIRY_WARNING_HOURS"
    raw = _get(env, name)
    if not raw:
        return Settings.expiry_warning_hours
    try:
        return parse_steps(raw)
    except StepTooLong:
        raise SettingsError(
            f"{name}={raw!r}: a step is at most {MAX_STEP_HOURS} hours (90 days), e.g. 72,24,1"
        ) from None
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} must be a comma-separated list of positive hours, e.g. 72,24,1"
        ) from None


def _accounts(env: Mapping[str, str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for part in _get(env, "USEAPI_ACCOUNTS").split(","):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return tuple(seen)


def _base_url(env: Mapping[str, str]) -> str:
    raw = _get(env, "USEAPI_BASE_URL") or DEFAULT_BASE_URL
    try:
        url = URL(raw)
    except ValueError:
        url = URL()
    if url.scheme not in ("http", "https") or not url.host:
        raise SettingsError(
            f"USEAPI_BASE_URL={raw!r} is not an http(s) URL: "
            f"use {DEFAULT_BASE_URL} or leave it empty"
        )
    return raw.rstrip("/")


def _database(env: Mapping[str, str]) -> DatabaseTarget:
    raw = _get(env, "DATABASE_URL")
    if not raw:
        return Settings.database
    try:
        return parse_database_url(raw)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _get(env, name)
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 90:
        raise SettingsError(f"{name}={raw!r} is not a whole number of days from 1 to 90: e.g. 7")
    return int(raw)


def smallest_step(steps: tuple[float, ...] | list[float]) -> float:
    """The smallest gap between two warning steps (or the smallest step itself), in hours."""
    hours = sorted(steps)
    return min(b - a for a, b in zip([0.0, *hours], hours, strict=False))


def interval_warnings(settings: Settings) -> list[str]:
    """Settings that work but defeat each other: a check interval longer than the smallest
    warning step lets a batch pass that step between two checks."""
    step = smallest_step(settings.expiry_warning_hours)
    if settings.check_interval_minutes <= step * 60:
        return []
    return [
        f"CHECK_INTERVAL_MINUTES={settings.check_interval_minutes:g} is longer than the "
        f"smallest step of EXPIRY_WARNING_HOURS ({step:g} h): a batch can pass that step "
        f"between two checks and its warning is never posted; set CHECK_INTERVAL_MINUTES to "
        f"{step * 60:g} or less"
    ]


def startup_warnings(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """What a start and `--check` warn of: misspelt settings, then settings that defeat each
    other."""
    return unknown_names(env) + interval_warnings(settings)


def load_settings(env: Mapping[str, str], *, require_discord: bool = True) -> Settings:
    """Parse and validate every setting; raises SettingsError for the first bad one."""
    discord_token = _token(
        env,
        "DISCORD_TOKEN",
        "copy the bot token from the Discord developer portal (Bot → Reset Token) into .env",
        required=require_discord,
    )
    useapi_token = _token(
        env, "USEAPI_TOKEN", "copy your API token from useapi.net (Account → API token) into .env"
    )
    log_level = (_get(env, "LOG_LEVEL") or Settings.log_level).upper()
    if log_level not in LOG_LEVELS:
        choices = ", ".join(LOG_LEVELS)
        raise SettingsError(f"LOG_LEVEL={log_level!r} is not a log level: use one of {choices}")
    return Settings(
        discord_token=discord_token,
        useapi_token=useapi_token,
        useapi_base_url=_base_url(env),
        useapi_accounts=_accounts(env),
        useapi_timeout_seconds=_positive(
            env, "USEAPI_TIMEOUT_SECONDS", Settings.useapi_timeout_seconds, "seconds"
        ),
        guild_id=_snowflake(env, "DISCORD_GUILD_ID", "Server"),
        allowed_guild_ids=_snowflakes(env, "ALLOWED_GUILD_IDS", "Server"),
        database=_database(env),
        log_level=log_level,
        alert_channel_id=_snowflake(env, "ALERT_CHANNEL_ID", "Channel"),
        alert_mention_role_id=_snowflake(env, "ALERT_MENTION_ROLE_ID", "Role"),
        alert_manager_role_id=_snowflake(env, "ALERT_MANAGER_ROLE_ID", "Role"),
        expiry_warning_hours=_hours(env),
        check_interval_minutes=_positive(
            env, "CHECK_INTERVAL_MINUTES", Settings.check_interval_minutes, "minutes"
        ),
        poll_concurrency=_count(env, "POLL_CONCURRENCY", Settings.poll_concurrency),
        useapi_max_rps=_positive(
            env, "USEAPI_MAX_RPS", Settings.useapi_max_rps, "requests per second"
        ),
        health_port=_port(env),
        health_host=_host(env),
        log_format=_choice(env, "LOG_FORMAT", ("text", "json")),
        log_color=_choice(env, "LOG_COLOR", ("auto", "always", "never")),
        usage_window_days=_days(env, "USAGE_WINDOW_DAYS", Settings.usage_window_days),
        stats_interval_minutes=_positive(
            env, "STATS_INTERVAL_MINUTES", Settings.stats_interval_minutes, "minutes"
        ),
        digest=parse_digest(_get(env, "DIGEST_SCHEDULE")),
    )
