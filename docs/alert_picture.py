"""The README's picture of an alert with its buttons (docs/alert-buttons.png) and the docs'
picture of a resolved one (docs/alert-resolved.png), drawn by the
preview's message drawing (preview/drawing.py) from the message the bot itself posts for two
accounts due together.

`.venv/bin/python -m docs.alert_picture` (from the project root) writes both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from preview.drawing import draw_message, plain

__all__ = [
    "draw_message",
    "main",
    "plain",
    "sample_message",
    "the_bots_alert",
    "the_bots_resolved_alert",
]


def sample_message() -> dict[str, Any]:
    """An alert about two accounts, with the menu and buttons the feature puts on it."""
    now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)

    def stamp(hours: float) -> str:
        at = int((now + timedelta(hours=hours)).timestamp())
        return f"<t:{at}:R> (<t:{at}:f>)"

    return {
        "content": "Expiring soon on 2 accounts",
        "timestamp": now.isoformat(),
        "author": {"username": "minimax-bot", "bot": True},
        "embeds": [
            {
                "title": "Expiring soon on account a",
                "description": f"**100** video/image credits expire {stamp(23)} (within 24 "
                "hours)\n  ↳ at your pace (≈ 12.5 a day), about **88** of them will expire "
                "unused: use them or lose them.\n\nUse the credits before they expire: they "
                "are not refunded.",
                "color": 0xE74C3C,
                "footer": {"text": "Alert ref a3f9c1e07b52d4a68e1f0c93"},
            },
            {
                "title": "Expiring soon on account b",
                "description": f"**40** audio credits expire {stamp(50)} (within 72 hours)",
                "fields": [{"name": "MiniMax session", "value": f"expires {stamp(200)}"}],
                "color": 0xE67E22,
                "footer": {"text": "Alert ref a7d20b9f4c1e86a35b0d2e71"},
            },
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {
                        "type": 3,
                        "custom_id": "alert:accounts",
                        "placeholder": "Acknowledge or snooze: both accounts",
                        "min_values": 1,
                        "max_values": 2,
                        "options": [{"label": "a", "value": "a"}, {"label": "b", "value": "b"}],
                    }
                ],
            },
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 3, "label": "Acknowledge", "custom_id": "alert:ack"},
                    {"type": 2, "style": 2, "label": "Snooze 1 hour", "custom_id": "alert:1h"},
                    {"type": 2, "style": 2, "label": "Snooze 1 day", "custom_id": "alert:1d"},
                    {"type": 2, "style": 2, "label": "Snooze 7 days", "custom_id": "alert:7d"},
                ],
            },
        ],
    }


def the_bots_alert() -> dict[str, Any]:
    """The message the bot itself posts for two accounts due together, made by its own code
    (run from the project root: `python -m docs.alert_picture`)."""
    from alerts.chat.controls import controls
    from alerts.domain.due import ExpiryKind
    from alerts.domain.notices import ExpiringSoon, ExpiryItem, Notice
    from alerts.domain.port import ref_of
    from alerts.render.messages import alert_messages

    now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    video = ExpiryItem(ExpiryKind.VIDEO, 100, now + timedelta(hours=23), 24, 88.0, 12.5)
    audio = ExpiryItem(ExpiryKind.AUDIO, 40, now + timedelta(hours=50), 72)
    notices = [
        Notice("a3f9c1e07b52d4a68e1f0c93a", "123456", ExpiringSoon((video,)), now),
        Notice("a7d20b9f4c1e86a35b0d2e71b", "654321", ExpiringSoon((audio,)), now),
    ]
    ref = ref_of(notices)
    [(_, message)] = alert_messages(notices, None)
    view = controls(ref, [n.account for n in notices])
    return {
        "content": message.content,
        "timestamp": now.isoformat(),
        "author": {"username": "minimax-bot", "bot": True},
        "embeds": [e.to_dict() for e in message.embeds or []],
        "components": view.to_components(),
    }


def the_bots_resolved_alert() -> dict[str, Any]:
    """An alert message about two accounts once the cause of one ended: account 123456 was
    topped up (its embed resolved and muted), 654321 still waits (its buttons stay)."""
    from alerts.chat.controls import controls
    from alerts.domain.answers import AlertGroup
    from alerts.domain.notices import LowBalance, Notice
    from alerts.domain.port import ref_of
    from alerts.render.messages import alert_messages, with_answers

    now = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    notices = [
        Notice("a3f9c1e07b52d4a68e1f0c93a", "123456", LowBalance("video", 42, 100), now),
        Notice("a7d20b9f4c1e86a35b0d2e71b", "654321", LowBalance("video", 18, 100), now),
    ]
    ref = ref_of(notices)
    [(_, message)] = alert_messages(notices, None)
    reason = "the balance is back to 640, at or above the threshold"
    group = AlertGroup(
        ref,
        [n.account for n in notices],
        [],
        nonces=[n.nonce for n in notices],
        resolved={notices[0].nonce: (reason, now + timedelta(hours=3))},
    )
    embeds = with_answers(message.embeds or [], group.accounts, group.said, group.resolved)
    return {
        "content": message.content,
        "timestamp": now.isoformat(),
        "author": {"username": "minimax-bot", "bot": True},
        "embeds": [e.to_dict() for e in embeds],
        "components": controls(ref, group.open_accounts()).to_components(),
    }


def main() -> None:
    folder = Path(__file__).resolve().parent
    for name, message in (
        ("alert-buttons.png", the_bots_alert()),
        ("alert-resolved.png", the_bots_resolved_alert()),
    ):
        (folder / name).write_bytes(draw_message(message))
        print(folder / name)


if __name__ == "__main__":
    main()
