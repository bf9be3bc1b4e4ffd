"""The preview's run: the real bot (`bot.py`, as testbed/launch_bot.py runs it) against the
loopback Discord and useapi.net with the sample accounts, the commands a server manager would
type, the alerts its background check posts, and a text file and a picture of each."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from state import SqliteTarget, open_database
from testbed.discord_payloads import (
    BOT_USER_ID,
    CHANNEL_ID,
    CHANNEL_NAMES,
    MANAGER_PERMISSIONS,
    ROLES,
    USER_ID,
    channel_name,
)
from testbed.discord_stub import DiscordStub, Injected
from testbed.process import DISCORD_TOKEN, BotProcess, base_env
from testbed.upstream import FakeUseapi
from usage.domain.history import History
from usage.domain.jobs import JobStore

from .accounts import AUDIO, EXPIRING, LOW, LOW_BALANCE, SAMPLES, sample_jobs
from .drawing import draw_message
from .text import message_text

WITHIN = 20.0  # seconds to wait for any one thing the bot does
USER = {"username": "tester", "global_name": "tester"}  # the stand-in's member
NAMES = {
    str(CHANNEL_ID): channel_name(CHANNEL_ID),
    **{str(c): n for c, n in CHANNEL_NAMES.items()},
    str(USER_ID): USER["global_name"],
    str(BOT_USER_ID): "minimax-bot",
    **{str(r): n for r, n in ROLES.items()},
}
"""What Discord shows for each channel, user and role of the stand-in's server it mentions."""
KEPT = ("PATH", "HOME", "LANG", "TZ", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")
KEPT_PREFIXES = ("LC_", "PYTHON", "COVERAGE")
OURS = re.compile(r"^\d\d-[a-z0-9-]+\.(txt|png)$")  # the files a preview writes
BOT_SETTINGS = {
    "USEAPI_ACCOUNTS": ",".join(s.name for s in SAMPLES),
    "ALERT_CHANNEL_ID": str(CHANNEL_ID),
    "CHECK_INTERVAL_MINUTES": "0.02",  # a check every 1.2 s: the alerts come at once
    "LOG_LEVEL": "INFO",
}


class PreviewFailed(Exception):
    """The bot did not do what the preview waited for; the message says what."""


@dataclass
class Shown:
    """One thing Discord would show: what it is, and the message as Discord's JSON."""

    slug: str
    what: str
    message: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)


def bot_env(upstream: FakeUseapi, folder: Path) -> dict[str, str]:
    """Only what a Python process needs of this one (none of the user's bot settings), and
    the bot's settings: the fake tokens, the loopback addresses, a database in `folder`."""
    kept = {k: v for k, v in os.environ.items() if k in KEPT or k.startswith(KEPT_PREFIXES)}
    return {**kept, **base_env(upstream, folder), **BOT_SETTINGS}


def typed(name: str, subcommand: str | None, options: dict[str, Any]) -> str:
    """A slash command as the user typed it: `/alerts rules account:marketing`."""
    words = [f"/{name}", *([subcommand] if subcommand else [])]
    words += [f"{k}:{v:g}" if isinstance(v, float) else f"{k}:{v}" for k, v in options.items()]
    return " ".join(words)


def controls_of(message: dict[str, Any]) -> dict[str, str]:
    """A message's buttons: their custom ids by label."""
    return {
        c["label"]: c["custom_id"]
        for row in message.get("components") or []
        for c in row.get("components") or []
        if c.get("type") == 2
    }


def titled(title: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: any(e.get("title") == title for e in m.get("embeds") or [])


def is_sample(message: dict[str, Any]) -> bool:
    footers = [(e.get("footer") or {}).get("text") or "" for e in message.get("embeds") or []]
    return any(f.startswith("This is a test") for f in footers)


@dataclass(frozen=True)
class Asked:
    """A command typed: where its answer goes among what was shown, and how it was typed."""

    at: int
    slug: str
    line: str  # as typed: /alerts rules account:marketing
    used: str  # as Discord says it was used: alerts rules
    item: Injected
    when: str  # the time it was answered


class Preview:
    """Drives the bot through the stand-in and keeps what it showed, in order."""

    def __init__(self, stub: DiscordStub) -> None:
        self.stub = stub
        self.shown: list[Shown] = []
        self._slugs: dict[str, str] = {}  # the alerts' files, by message id
        self._asked: list[Asked] = []

    def _slug(self, name: str) -> str:
        return f"{len(self.shown) + len(self._asked) + 1:02d}-{name}"

    async def _wait(self, predicate: Callable[[], Any], what: str) -> Any:
        try:
            return await self.stub.wait_for(predicate, within=WITHIN)
        except TimeoutError:
            raise PreviewFailed(f"waited {WITHIN:g} s for {what}") from None

    def _keep(self, slug: str, what: str, message: dict[str, Any], **extra: Any) -> None:
        when = datetime.now(UTC).isoformat()
        self.shown.append(Shown(slug, what, {**message, "timestamp": when, **extra}))

    async def alert(self, name: str, which: Callable[[dict[str, Any]], bool], what: str) -> str:
        """Wait for the alert `which` to be posted; keep it as it is now. Its message id."""
        slug = self._slug(name)
        posted = await self._wait(
            lambda: next((m for m in self.stub.posted if which(m)), None), what
        )
        channel = channel_name(int(posted["channel_id"]))
        self._slugs[posted["id"]] = slug
        self._keep(slug, f"{what}, posted in #{channel}", self.stub.message(posted["id"]))
        return posted["id"]

    async def command(
        self, name: str, command: str, subcommand: str | None = None, **options: Any
    ) -> Injected:
        """A server manager types a slash command; wait for its answer (kept at the end,
        once every message of it has been sent)."""
        slug = self._slug(name)
        item = await self.stub.inject(
            command, options, subcommand=subcommand, permissions=MANAGER_PERMISSIONS
        )
        line = typed(command, subcommand, options)
        await self._wait(lambda: _answered(item), f"the answer to {line}")
        used = " ".join([command, *([subcommand] if subcommand else [])])
        when = datetime.now(UTC).isoformat()
        self._asked.append(Asked(len(self.shown), slug, line, used, item, when))
        return item

    async def press(self, name: str, message_id: str, label: str) -> None:
        """A server manager presses the button `label` of a channel message; keep what they
        see then: the answer only they see, or the message as the press edited it."""
        slug = self._slug(name)
        buttons = controls_of(self.stub.message(message_id))
        if label not in buttons:
            raise PreviewFailed(f"no button {label!r} on the message (only {sorted(buttons)})")
        item = await self.stub.press(message_id, buttons[label], permissions=MANAGER_PERMISSIONS)
        callback = await self._wait(item.callback, f"the answer to pressing {label}")
        what = f"pressing {label} on the message of {self._slugs.get(message_id, message_id)}"
        if callback["type"] == 4:
            self._keep(slug, f"{what}: the answer", callback["data"], author=None)
            return
        await self._wait(
            lambda: any(c.method == "PATCH" for c in item.calls), f"the edit by {label}"
        )
        self._keep(slug, f"{what}: the message as it is then", self.stub.message(message_id))

    def everything(self) -> list[Shown]:
        """What was shown, in order: the alerts and presses as they were kept, the answers
        to commands with every message each sent."""
        found = list(self.shown)
        for asked in reversed(self._asked):
            messages = _messages_of(asked.item)
            used = {"timestamp": asked.when, "interaction": {"name": asked.used, "user": USER}}
            found[asked.at : asked.at] = [
                Shown(
                    asked.slug if i == 0 else f"{asked.slug}-{i + 1}",
                    f"{asked.line}: its answer" + (f" ({i + 1} of {len(messages)})" if i else ""),
                    {**m, **used},
                    asked.item.files(),
                )
                for i, m in enumerate(messages)
            ]
        return found


def _answered(item: Injected) -> bool:
    """The command has answered: at once (type 4), or its deferred answer has come."""
    callback = item.callback()
    return callback is not None and (callback["type"] == 4 or bool(item.final_messages()))


def _messages_of(item: Injected) -> list[dict[str, Any]]:
    """Every message of a command's answer, as its user sees it (visibility included)."""
    callback = item.callback() or {}
    data = callback.get("data") or {}
    first = [data] if callback.get("type") == 4 else []
    flags = data.get("flags") or 0
    return [{"flags": flags, **m} for m in [*first, *item.final_messages()]]


async def drive(preview: Preview) -> None:
    """What a server manager does with the bot, in order."""
    expiring = await preview.alert(
        "alert-expiring-soon",
        titled(f"Expiring soon on account {EXPIRING.name}"),
        "The expiry alert the background check posts",
    )
    await preview.command("credits", "credits")
    await preview.command(f"credits-{EXPIRING.name}", "credits", account=EXPIRING.name)
    await preview.command(f"credits-{AUDIO.name}", "credits", account=AUDIO.name)
    await preview.command(f"models-{EXPIRING.name}", "models", account=EXPIRING.name)
    await preview.command(f"usage-{EXPIRING.name}", "usage", account=EXPIRING.name)
    await preview.command(
        f"alerts-rules-{LOW.name}", "alerts", "rules", account=LOW.name, low_balance=LOW_BALANCE
    )
    await preview.alert(
        "alert-low-balance",
        titled(f"Low balance on account {LOW.name}"),
        "The low-balance alert the next check posts, by the rule just set",
    )
    await preview.command("alerts-status", "alerts", "status")
    await preview.command("alerts-test", "alerts", "test")
    sample = await preview.alert("alert-sample", is_sample, "The sample alert of /alerts test")
    await preview.press("sample-acknowledge", sample, "Acknowledge (sample)")
    await preview.press("alert-expiring-soon-acknowledged", expiring, "Acknowledge")
    await preview.command("usage-jobs", "usage", view="jobs")


async def seed(path: Path, now: datetime) -> None:
    """The usage history and the job statistics of the sample accounts, before the bot
    starts (the days before today, as read after they were over)."""
    db = await open_database(SqliteTarget(path))
    try:
        await History(db).record([(s.name, p) for s in SAMPLES for p in s.history(now)])
        jobs = JobStore(db)
        for sample in SAMPLES:
            for back, figures in enumerate(sample_jobs(sample.name), start=1):
                day = now.date() - timedelta(days=back)
                await jobs.replace_day(sample.name, day, figures, read_at=now, final=True)
    finally:
        await db.close()


def write(shown: list[Shown], out: Path) -> list[Path]:
    """A text file and a picture of each; files of an earlier preview there go first."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if OURS.match(old.name):
            old.unlink()
    written = []
    for item in shown:
        text = out / f"{item.slug}.txt"
        said = message_text(item.message, NAMES)
        text.write_text(f"# {item.what}\n\n{said}", encoding="utf-8")
        picture = out / f"{item.slug}.png"
        picture.write_bytes(draw_message(item.message, item.files, NAMES))
        written += [text, picture]
    return written


async def run(out: Path) -> list[Path]:
    """The whole preview into `out`; the files written."""
    with tempfile.TemporaryDirectory(prefix="minimax-preview-") as scratch:
        folder = Path(scratch)
        (folder / ".env").touch()  # bot.py looks for a .env from here up: it finds this one
        async with contextlib.AsyncExitStack() as owned:
            stub, upstream = DiscordStub(DISCORD_TOKEN), FakeUseapi()
            for server in (stub, upstream):
                await server.start()
                owned.push_async_callback(server.stop)
            now = datetime.now(UTC)
            for sample in SAMPLES:
                upstream.add_account(sample.name, sample.features(now))
            await seed(folder / "bot.sqlite3", now)
            bot = BotProcess(stub, bot_env(upstream, folder), folder / "bot.log", inherit=False)
            owned.push_async_callback(bot.stop)
            try:
                await bot.start()
            except AssertionError as exc:
                raise PreviewFailed(str(exc)) from None
            preview = Preview(stub)
            try:
                await drive(preview)
            except PreviewFailed as exc:
                raise PreviewFailed(f"{exc}; the bot's log:\n{bot.log()}") from None
            shown = preview.everything()
    return write(shown, out)


def report(out: Path, written: list[Path], seconds: float) -> str:
    names = "\n".join(f"  {p.name}" for p in written)
    return f"Preview written to {out}/ in {seconds:.1f} s ({len(written)} files):\n{names}"


async def main(out: Path) -> int:
    started = time.monotonic()
    try:
        written = await run(out)
    except PreviewFailed as exc:
        print(f"error: the preview failed: {exc}", file=sys.stderr)
        return 1
    print(report(out, written, time.monotonic() - started))
    return 0
