"""The log never carries a secret: in the message, its arguments or a traceback, as text or
as JSON."""

from __future__ import annotations

import io
import json
import logging

from app.logs import ColourFormatter, JsonFormatter, RedactSecrets, final_line, wants_colour

TOKEN = "user:1234-secret-token-abcdef"


def logged(formatter: logging.Formatter) -> str:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(RedactSecrets([TOKEN, "short", ""]))
    log = logging.getLogger("tests.logs")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("request with %s failed", TOKEN)
        try:
            raise RuntimeError(f"Bearer {TOKEN} refused")
        except RuntimeError:
            log.exception("while asking with the token")
    finally:
        log.removeHandler(handler)
    return out.getvalue()


def test_a_secret_in_a_message_its_arguments_or_a_traceback_is_masked() -> None:
    text = logged(logging.Formatter("%(message)s"))
    assert TOKEN not in text
    assert "request with *** failed" in text
    assert "RuntimeError: Bearer *** refused" in text


def test_json_lines_are_masked_and_carry_the_traceback() -> None:
    lines = [json.loads(line) for line in logged(JsonFormatter()).splitlines()]
    assert [e["level"] for e in lines] == ["WARNING", "ERROR"]
    assert lines[0]["message"] == "request with *** failed"
    assert "Bearer *** refused" in lines[1]["exception"]
    assert TOKEN not in json.dumps(lines)


def test_colour_lines_are_masked_too() -> None:
    """discord.py's own colour formatter formats the traceback again from the exception, so
    the masked copy was thrown away on a terminal."""
    text = logged(ColourFormatter())
    assert TOKEN not in text
    assert "\x1b[" in text and "RuntimeError: Bearer *** refused" in text


def test_colour_only_on_a_terminal_unless_asked() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert not wants_colour("auto", io.StringIO())
    assert wants_colour("auto", Terminal())
    assert wants_colour("always", io.StringIO())
    assert not wants_colour("never", Terminal())


def test_the_final_error_line_is_in_the_log_format() -> None:
    assert final_line("DATABASE_URL: cannot open", "text") == "error: DATABASE_URL: cannot open"
    entry = json.loads(final_line("DATABASE_URL: cannot open", "json"))
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "bot",
        "DATABASE_URL: cannot open",
    )
