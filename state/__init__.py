"""The bot's persistent state in SQLite."""

from .database import Database

__all__ = ["Database"]
