"""Logging set-up that can never write a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import discord


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


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, secrets: Iterable[str], fmt: str = "text") -> None:
    formatter = JsonFormatter() if fmt == "json" else discord.utils.MISSING
    discord.utils.setup_logging(formatter=formatter, level=getattr(logging, level), root=True)
    logging.getLogger("discord.http").setLevel(max(logging.WARNING, getattr(logging, level)))
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
