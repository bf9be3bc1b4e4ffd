"""Settings and the command line, run as the operator runs them: `python bot.py` in a shell."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from settings import SETTING_NAMES, SettingsError, interval_warnings, load_settings, unknown_names
from state import SqliteTarget
from testbed.process import LAUNCHER, free_port, inherited_env
from testbed.upstream import FakeUseapi, sample_features

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"DISCORD_TOKEN": "d" * 30, "USEAPI_TOKEN": "u" * 30}


async def run_bot_py(
    *args: str, env: dict[str, str], cwd: Path, wait: float = 30
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        *args,
        cwd=cwd,
        env={**inherited_env(), **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), wait)
    return proc.returncode or 0, out.decode(), err.decode()


def test_defaults() -> None:
    s = load_settings(GOOD)
    assert s.useapi_base_url == "https://api.useapi.net/v1"
    assert s.useapi_accounts == ()
    assert s.database == SqliteTarget(Path("data/bot.sqlite3"))
    assert s.expiry_warning_hours == (72, 24, 1)
    assert s.check_interval_minutes == 30
    assert s.guild_id is None and s.alert_channel_id is None


def test_values_are_parsed() -> None:
    s = load_settings(
        {
            **GOOD,
            "USEAPI_ACCOUNTS": " a, b ,,a ",
            "DATABASE_URL": "sqlite:////var/lib/bot/state.db",
            "DISCORD_GUILD_ID": "123456789012345678",
            "EXPIRY_WARNING_HOURS": "1, 72,24",
            "CHECK_INTERVAL_MINUTES": "0.5",
            "STATS_INTERVAL_MINUTES": "0.05",
            "LOG_LEVEL": "debug",
        }
    )
    assert s.useapi_accounts == ("a", "b")
    assert s.database == SqliteTarget(Path("/var/lib/bot/state.db"))
    assert s.guild_id == 123456789012345678
    assert s.expiry_warning_hours == (72, 24, 1)
    assert s.check_interval_minutes == 0.5
    assert s.stats_interval_minutes == 0.05
    assert load_settings(GOOD).stats_interval_minutes == 15
    assert s.log_level == "DEBUG"


def test_allowed_servers_are_a_list_of_ids_each_once() -> None:
    s = load_settings({**GOOD, "ALLOWED_GUILD_IDS": " 222, 111,,222 "})
    assert s.allowed_guild_ids == (222, 111)
    assert load_settings(GOOD).allowed_guild_ids == ()


BAD = [
    ({"DISCORD_TOKEN": ""}, "DISCORD_TOKEN is not set"),
    ({"USEAPI_TOKEN": " "}, "USEAPI_TOKEN is not set"),
    ({"ALERT_CHANNEL_ID": "general"}, "ALERT_CHANNEL_ID='general' is not a Discord id"),
    ({"DISCORD_GUILD_ID": "-5"}, "DISCORD_GUILD_ID='-5' is not a Discord id"),
    ({"ALERT_MENTION_ROLE_ID": "<@&1>"}, "ALERT_MENTION_ROLE_ID"),
    ({"CHECK_INTERVAL_MINUTES": "soon"}, "CHECK_INTERVAL_MINUTES='soon' is not a positive number"),
    ({"CHECK_INTERVAL_MINUTES": "0"}, "CHECK_INTERVAL_MINUTES='0'"),
    ({"STATS_INTERVAL_MINUTES": "-1"}, "STATS_INTERVAL_MINUTES='-1' is not a positive number"),
    ({"EXPIRY_WARNING_HOURS": "72,tomorrow"}, "EXPIRY_WARNING_HOURS='72,tomorrow' must be"),
    (
        {"EXPIRY_WARNING_HOURS": "72,99999999999"},
        "EXPIRY_WARNING_HOURS='72,99999999999': a step is at most 2160 hours (90 days)",
    ),
    ({"USEAPI_TIMEOUT_SECONDS": "nan"}, "USEAPI_TIMEOUT_SECONDS"),
    (
        {"USEAPI_BASE_URL": "api.useapi.net"},
        "USEAPI_BASE_URL='api.useapi.net' is not an http(s) URL",
    ),
    ({"DATABASE_URL": "mysql://u:pw@h/d"}, "DATABASE_URL (a mysql:// URL) is not supported"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not a log level"),
    ({"USEAPI_MAX_RPS": "-1"}, "USEAPI_MAX_RPS='-1' is not a positive number"),
    ({"HEALTH_PORT": "http"}, "HEALTH_PORT='http' is not a TCP port"),
    ({"HEALTH_PORT": "70000"}, "HEALTH_PORT='70000' is not a TCP port"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT='xml' must be one of: text, json"),
    ({"POLL_CONCURRENCY": "0"}, "POLL_CONCURRENCY='0' is not a whole number from 1 to 1000"),
    ({"ALLOWED_GUILD_IDS": "123,my server"}, "ALLOWED_GUILD_IDS: 'my server' is not a Discord id"),
    ({"ALLOWED_GUILD_IDS": "-1"}, "ALLOWED_GUILD_IDS: '-1' is not a Discord id"),
    ({"ALLOWED_GUILD_IDS": "123;456"}, "ALLOWED_GUILD_IDS: '123;456' is not a Discord id"),
    ({"ALLOWED_GUILD_IDS": str(2**64)}, "ALLOWED_GUILD_IDS: '18446744073709551616' is not a"),
    ({"USEAPI_TOKEN": '"' + "u" * 30 + '"'}, "USEAPI_TOKEN is in quotes: remove the quotes"),
    ({"DISCORD_TOKEN": "'" + "d" * 30 + "'"}, "DISCORD_TOKEN is in quotes: remove the quotes"),
    ({"DISCORD_TOKEN": "Bot " + "d" * 30}, "DISCORD_TOKEN starts with 'Bot': give the token alone"),
    ({"USEAPI_TOKEN": "Bearer " + "u" * 30}, "USEAPI_TOKEN starts with 'Bearer': give the token"),
    ({"USEAPI_TOKEN": "u" * 10 + " " + "u" * 10}, "USEAPI_TOKEN has a space in it"),
    ({"HEALTH_HOST": "not a host"}, "HEALTH_HOST='not a host' is not an address to listen on"),
    ({"HEALTH_HOST": "http://0.0.0.0"}, "HEALTH_HOST='http://0.0.0.0' is not an address"),
    ({"LOG_COLOR": "rainbow"}, "LOG_COLOR='rainbow' must be one of: auto, always, never"),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_settings_name_the_setting(change: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)) as raised:
        load_settings({**GOOD, **change})
    for name, value in change.items():
        if name.endswith("_TOKEN") and value.strip():  # a token is never repeated, nor part
            assert value.strip("\"' ").split()[-1] not in str(raised.value)


def test_good_hosts_are_taken() -> None:
    for host in ("0.0.0.0", "127.0.0.1", "::", "::1", "localhost", "bot-1.internal"):
        assert load_settings({**GOOD, "HEALTH_HOST": host}).health_host == host


class Recording(dict[str, str]):
    """An environment that remembers every name asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)


def test_setting_names_are_exactly_what_is_read() -> None:
    env = Recording(GOOD)
    load_settings(env)
    assert env.asked == set(SETTING_NAMES)
    assert len(SETTING_NAMES) == len(set(SETTING_NAMES))


def test_a_misspelt_setting_is_named_with_the_closest_one() -> None:
    env = {**GOOD, "ALERT_CHANEL_ID": "1", "CHECK_INTERVAL": "5", "PATH": "/bin", "LOG_X": "1"}
    assert unknown_names(env) == [
        "ALERT_CHANEL_ID is not a setting of this bot and is ignored: did you mean "
        "ALERT_CHANNEL_ID?",
        "CHECK_INTERVAL is not a setting of this bot and is ignored: did you mean "
        "CHECK_INTERVAL_MINUTES?",
        "LOG_X is not a setting of this bot and is ignored: no setting has that name",
    ]
    assert unknown_names(GOOD) == []


@pytest.mark.parametrize(("change", "message"), [BAD[0], BAD[2], BAD[5], BAD[7], BAD[-4]])
async def test_bot_py_prints_one_line_and_exits_2(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    code, out, err = await run_bot_py(env={**GOOD, **change}, cwd=tmp_path)
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err + out


async def test_empty_env_file_names_the_first_missing_setting(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# nothing yet\n")
    code, _, err = await run_bot_py(env={}, cwd=tmp_path)
    assert (code, err.split(":")[0:2]) == (2, ["error", " DISCORD_TOKEN is not set"])


async def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "DISCORD_TOKEN=x\nUSEAPI_TOKEN=y\nCHECK_INTERVAL_MINUTES=later\n"
    )
    code, _, err = await run_bot_py(env={}, cwd=tmp_path)
    assert code == 2 and "CHECK_INTERVAL_MINUTES='later'" in err


async def test_check_prints_a_report_without_discord(tmp_path: Path, upstream: FakeUseapi) -> None:
    upstream.add_account("acc1", sample_features(batches_in_hours=[5], total=321))
    env = {
        "USEAPI_TOKEN": upstream.token,
        "USEAPI_BASE_URL": upstream.base_url,
        "USEAPI_ACCOUNTS": "acc1",
    }
    code, out, err = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 0, err
    assert "[ok] acc1" in out and "video/image credits: 321" in out
    assert "10 credits expire" in out and "(in 5.0 h)" in out
    assert upstream.token not in out + err


async def test_check_fails_with_the_human_reason(tmp_path: Path, upstream: FakeUseapi) -> None:
    upstream.add_account("acc1")
    upstream.add_account("acc2")
    env = {
        "USEAPI_TOKEN": "wrong-token",
        "USEAPI_BASE_URL": upstream.base_url,
        "USEAPI_ACCOUNTS": "acc1,acc2",
    }
    code, out, _ = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 1
    assert out.count("[FAILED]") == 1, out  # once for the token, not once per account
    assert "[FAILED] USEAPI_TOKEN: useapi.net refused USEAPI_TOKEN: copy the token" in out


async def test_check_watches_every_account_of_the_token_as_the_bot_does(
    tmp_path: Path, upstream: FakeUseapi
) -> None:
    upstream.add_account("111", sample_features(total=11))
    upstream.add_account("222", sample_features(total=22))
    env = {"USEAPI_TOKEN": upstream.token, "USEAPI_BASE_URL": upstream.base_url}
    code, out, err = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 0, out + err
    assert "[ok] 111\n  video/image credits: 11" in out
    assert "[ok] 222\n  video/image credits: 22" in out
    assert "Pick an account" not in out


async def test_check_words_an_unknown_account_for_the_command_line(
    tmp_path: Path, upstream: FakeUseapi
) -> None:
    upstream.add_account("111")
    env = {
        "USEAPI_TOKEN": upstream.token,
        "USEAPI_BASE_URL": upstream.base_url,
        "USEAPI_ACCOUNTS": "111,999",
    }
    code, out, _ = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 1
    assert "[ok] 111" in out
    assert (
        "[FAILED] 999: useapi.net does not know this account: remove it from USEAPI_ACCOUNTS "
        "(the token's accounts: 111), or add it at useapi.net"
    ) in out
    assert "as you type" not in out and "`" not in out  # no Discord wording


async def test_check_without_a_network_says_so_and_keeps_logs_out_of_the_report(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:  # bound, not listening: every connection is refused
        taken.bind(("127.0.0.1", 0))
        env = {
            "USEAPI_TOKEN": "u" * 30,
            "USEAPI_BASE_URL": f"http://127.0.0.1:{taken.getsockname()[1]}/v1",
            "USEAPI_ACCOUNTS": "acc1",
        }
        code, out, err = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 1
    assert "[FAILED] acc1: cannot reach useapi.net: check this machine's network" in out
    assert "unavailable" not in out and "temporary" not in out
    assert "INFO" not in err and "failed:" not in out + err, err


async def test_check_without_a_network_and_no_accounts_blames_no_setting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        env = {
            "USEAPI_TOKEN": "u" * 30,
            "USEAPI_BASE_URL": f"http://127.0.0.1:{taken.getsockname()[1]}/v1",
        }
        code, out, _ = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 1
    assert "[FAILED] the accounts listing: cannot reach useapi.net: check this machine's" in out


async def test_check_checks_the_database_and_the_health_address(tmp_path: Path) -> None:
    """Neither needs useapi.net: both are said even when it cannot be reached."""
    (tmp_path / "data").write_text("a file where the folder should be")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env = {
            "USEAPI_TOKEN": "u" * 30,
            "USEAPI_BASE_URL": "http://127.0.0.1:9/v1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}",
            "HEALTH_HOST": "127.0.0.1",
            "HEALTH_PORT": str(busy.getsockname()[1]),
        }
        code, out, _ = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 1
    assert "[FAILED] database " in out and "is a file, not a folder: check DATABASE_URL" in out
    assert f"[FAILED] HEALTH_PORT={env['HEALTH_PORT']}: the port is in use" in out


async def test_check_creates_no_database(tmp_path: Path, upstream: FakeUseapi) -> None:
    upstream.add_account("acc1")
    env = {"USEAPI_TOKEN": upstream.token, "USEAPI_BASE_URL": upstream.base_url}
    code, out, _ = await run_bot_py("--check", env=env, cwd=tmp_path)
    assert code == 0
    assert "[ok] database data/bot.sqlite3: new, the first start creates it" in out
    assert not await asyncio.to_thread(lambda: list(tmp_path.rglob("*"))), "nothing created"


async def test_check_and_a_start_show_the_same_settings_warnings(tmp_path: Path) -> None:
    env = {
        **GOOD,
        "USEAPI_BASE_URL": "http://127.0.0.1:9/v1",
        "ALERT_CHANEL_ID": "123",
        "CHECK_INTERVAL_MINUTES": "120",
        "DATABASE_URL": f"sqlite:///{tmp_path}",  # a folder: the start fails at the database
    }
    code, out, _ = await run_bot_py("--check", env=env, cwd=tmp_path)
    checked = [line.removeprefix("[warning] ") for line in out.splitlines() if "[warning]" in line]
    code, _, err = await run_bot_py(env=env, cwd=tmp_path)
    assert code == 2 and "error: DATABASE_URL: cannot open" in err
    started = [line.split("bot: ", 1)[1] for line in err.splitlines() if "WARNING" in line]
    assert len(checked) == 2 and checked == started
    assert "did you mean ALERT_CHANNEL_ID?" in checked[0]
    assert "CHECK_INTERVAL_MINUTES=120 is longer than" in checked[1]


@pytest.mark.parametrize(
    ("interval", "hours", "warned"),
    [
        ("30", "72,24,1", False),
        ("60", "72,24,1", False),
        ("120", "72,24,1", True),  # the 1-hour step can pass between two checks
        ("90", "3,2.5", True),  # the step from 3 h to 2.5 h is 30 minutes
        ("90", "24,3", False),
    ],
)
def test_an_interval_longer_than_the_smallest_step_is_warned_about(
    interval: str, hours: str, warned: bool
) -> None:
    settings = load_settings(
        {**GOOD, "CHECK_INTERVAL_MINUTES": interval, "EXPIRY_WARNING_HOURS": hours}
    )
    warnings = interval_warnings(settings)
    assert bool(warnings) is warned
    for line in warnings:
        assert "CHECK_INTERVAL_MINUTES" in line and "EXPIRY_WARNING_HOURS" in line
        assert "\n" not in line


@pytest.mark.parametrize(
    ("raw", "now", "due"),
    [
        ("daily@09:00", "2026-11-25T10:00", "2026-11-25T09:00"),
        ("daily@09:00", "2026-11-25T08:59", "2026-11-24T09:00"),
        ("DAILY@9:05", "2026-11-25T09:05", "2026-11-25T09:05"),
        ("weekly@mon 09:00", "2026-11-25T10:00", "2026-11-23T09:00"),  # a Wednesday
        ("weekly@wed 12:00", "2026-11-25T11:00", "2026-11-18T12:00"),
        ("weekly@wed 12:00", "2026-11-25T12:00", "2026-11-25T12:00"),
    ],
)
def test_digest_schedules(raw: str, now: str, due: str) -> None:
    schedule = load_settings({**GOOD, "DIGEST_SCHEDULE": raw}).digest
    assert schedule is not None
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert schedule.last_due(moment) == datetime.fromisoformat(due).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "raw", ["hourly@09:00", "daily@25:00", "daily@9", "weekly@funday 09:00", "weekly@mon"]
)
def test_bad_digest_schedules_name_the_setting(raw: str) -> None:
    with pytest.raises(SettingsError, match=r"DIGEST_SCHEDULE=.* daily@HH:MM or weekly@mon HH:MM"):
        load_settings({**GOOD, "DIGEST_SCHEDULE": raw})
    assert load_settings(GOOD).digest is None


def test_usage_window() -> None:
    assert load_settings(GOOD).usage_window_days == 7
    assert load_settings({**GOOD, "USAGE_WINDOW_DAYS": "30"}).usage_window_days == 30
    with pytest.raises(SettingsError, match="USAGE_WINDOW_DAYS='0'"):
        load_settings({**GOOD, "USAGE_WINDOW_DAYS": "0"})


async def test_a_start_blames_health_host_before_touching_the_database(tmp_path: Path) -> None:
    env = {
        **GOOD,
        "HEALTH_HOST": "203.0.113.7",  # TEST-NET-3: an address no machine of ours has
        "HEALTH_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    }
    code, _, err = await run_bot_py(env=env, cwd=tmp_path)
    assert code == 2
    assert "error: HEALTH_HOST=203.0.113.7: cannot listen there" in err
    assert "HEALTH_PORT" not in err.splitlines()[-1]
    assert not await asyncio.to_thread((tmp_path / "bot.sqlite3").exists)


async def start_without_discord(tmp_path: Path, **env: str) -> str:
    """What a start writes when Discord cannot be reached (every connection refused)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        refused = f"127.0.0.1:{taken.getsockname()[1]}"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(LAUNCHER),
            f"http://{refused}/api/v10",
            f"ws://{refused}/",
            cwd=tmp_path,
            env={**inherited_env(), **GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'db'}", **env},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1, err
    return err.decode()


async def test_logs_in_a_pipe_carry_no_colour_unless_asked(tmp_path: Path) -> None:
    piped = await start_without_discord(tmp_path)
    assert "database schema" in piped and "error: cannot reach Discord" in piped
    assert "\x1b[" not in piped
    assert "\x1b[" in await start_without_discord(tmp_path, LOG_COLOR="always")


async def test_json_logs_end_with_a_json_error_line(tmp_path: Path) -> None:
    lines = [
        json.loads(line)
        for line in (await start_without_discord(tmp_path, LOG_FORMAT="json")).splitlines()
    ]
    assert any(e["message"].startswith("database schema") for e in lines)
    assert lines[-1]["level"] == "ERROR"
    assert lines[-1]["message"].startswith("cannot reach Discord")


async def test_a_bad_setting_is_a_json_line_when_the_log_is_json(tmp_path: Path) -> None:
    env = {**GOOD, "LOG_FORMAT": "json", "CHECK_INTERVAL_MINUTES": "soon"}
    code, _, err = await run_bot_py(env=env, cwd=tmp_path)
    assert code == 2
    assert json.loads(err)["message"].startswith("CHECK_INTERVAL_MINUTES='soon'")


async def test_while_waiting_for_the_database_healthz_says_starting_and_a_signal_stops_it(
    tmp_path: Path,
) -> None:
    """PostgreSQL not up yet: the bot retries for a minute; meanwhile it is "starting", and
    a platform's SIGTERM ends it at once, not after the minute."""
    port = free_port()
    with socket.socket() as taken:  # bound, not listening: PostgreSQL refuses
        taken.bind(("127.0.0.1", 0))
        env = {
            **inherited_env(),
            **GOOD,
            "DATABASE_URL": f"postgresql://bot:pw@127.0.0.1:{taken.getsockname()[1]}/bot",
            "HEALTH_HOST": "127.0.0.1",
            "HEALTH_PORT": str(port),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bot.py"),
            cwd=tmp_path,
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        seen = []
        while not any("the database is not reachable yet" in line for line in seen):
            seen.append((await asyncio.wait_for(proc.stderr.readline(), 30)).decode())
        url = f"http://127.0.0.1:{port}/healthz"
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            assert resp.status == 503
            assert (await resp.json())["last_check"] == "starting"
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == 0
