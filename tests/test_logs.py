"""The log never carries a secret: in the message, its arguments or a traceback, as text or
as JSON."""

from __future__ import annotations

import io
import json
import logging

from app.logs import JsonFormatter, RedactSecrets

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
