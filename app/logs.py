"""Logging set-up that can never write a secret: plain text (coloured only on a terminal)
or one JSON object per line, the bot's last error line included."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

import discord

PLAIN = "[{asctime}] [{levelname:<8}] {name}: {message}"
DATES = "%Y-%m-%d %H:%M:%S"


class RedactSecrets(logging.Filter):
    """Replaces every configured secret in a record's final text with `***`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        changed = False
        for secret in self.secrets:
            if secret in message:
                message, changed = message.replace(secret, "***"), True
            if record.exc_text and secret in record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "***")
        if changed:
            record.msg, record.args = message, None
        return True


def _entry(created: float, level: str, logger: str, message: str) -> dict[str, str]:
    moment = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")
    return {"ts": moment, "level": level, "logger": logger, "message": message}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = _entry(record.created, record.levelname, record.name, record.getMessage())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class ColourFormatter(logging.Formatter):
    """PLAIN with the level, the logger and a traceback in ANSI colours, for a terminal. The
    traceback is the filtered one (`exc_text`), so what RedactSecrets masked stays masked."""

    LEVELS = {
        logging.DEBUG: "\x1b[40;1m",
        logging.INFO: "\x1b[34;1m",
        logging.WARNING: "\x1b[33;1m",
        logging.ERROR: "\x1b[31m",
        logging.CRITICAL: "\x1b[41m",
    }

    def __init__(self) -> None:
        super().__init__(datefmt=DATES)

    def format(self, record: logging.LogRecord) -> str:
        colour = self.LEVELS.get(record.levelno, self.LEVELS[logging.DEBUG])
        text = (
            f"\x1b[30;1m{self.formatTime(record, DATES)}\x1b[0m {colour}{record.levelname:<8}"
            f"\x1b[0m \x1b[35m{record.name}\x1b[0m {record.getMessage()}"
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        return f"{text}\n\x1b[31m{record.exc_text}\x1b[0m" if record.exc_text else text


def wants_colour(mode: str, stream: TextIO) -> bool:
    """LOG_COLOR: `always`, `never`, or `auto`: only when the log goes to a terminal."""
    if mode in ("always", "never"):
        return mode == "always"
    return hasattr(stream, "isatty") and stream.isatty()


def final_line(message: str, fmt: str) -> str:
    """The last line the bot writes when it cannot go on, in the log's own format."""
    if fmt != "json":
        return f"error: {message}"
    return json.dumps(_entry(datetime.now(UTC).timestamp(), "ERROR", "bot", message))


def setup_logging(
    level: str,
    secrets: Iterable[str],
    fmt: str = "text",
    colour: str = "auto",
    stream: TextIO | None = None,
) -> None:
    """Everything to `stream` (stderr), through the secret filter."""
    out = stream or sys.stderr
    formatter: logging.Formatter
    if fmt == "json":
        formatter = JsonFormatter()
    elif wants_colour(colour, out):
        formatter = ColourFormatter()
    else:
        formatter = logging.Formatter(PLAIN, DATES, style="{")
    discord.utils.setup_logging(
        handler=logging.StreamHandler(out),
        formatter=formatter,
        level=getattr(logging, level),
        root=True,
    )
    logging.getLogger("discord.http").setLevel(max(logging.WARNING, getattr(logging, level)))
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
