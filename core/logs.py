"""Logging set-up that can never write a secret."""

from __future__ import annotations

import logging
from collections.abc import Iterable

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


def setup_logging(level: str, secrets: Iterable[str]) -> None:
    discord.utils.setup_logging(level=getattr(logging, level), root=True)
    logging.getLogger("discord.http").setLevel(max(logging.WARNING, getattr(logging, level)))
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
