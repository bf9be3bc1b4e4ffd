"""The README, the docs pages and `.env.example` against the code: every setting is documented
with its real default, no page names a setting that does not exist, every relative link
leads somewhere, and the README stays short enough to read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings import SETTING_NAMES, load_settings
from settings.names import PREFIXES

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SETTINGS_PAGE = ROOT / "docs" / "settings.md"
ENV_EXAMPLE = ROOT / ".env.example"
README_MAX_LINES = 150

NOT_SETTINGS = {
    "ALERT_CHANEL_ID": "the docs' example of a misspelt name and the warning it gets",
    "DATABASE_PUBLIC_URL": "Railway's URL of its PostgreSQL from outside its network",
    "DATABASE_PRIVATE_URL": "Railway's older name for the URL inside its network",
}
"""Names that look like settings but are none, each with the reason.
(The tests' own variables, such as POSTGRES_BIN, POSTGRES_TMPDIR and REQUIRE_POSTGRES, start
like no setting and need no entry.)"""

TOKENS = {"DISCORD_TOKEN": "d" * 30, "USEAPI_TOKEN": "u" * 30}
NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$", re.M)
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def pages() -> list[Path]:
    return [README, *sorted((ROOT / "docs").glob("*.md"))]


def looks_like_a_setting(name: str) -> bool:
    return name.startswith((*PREFIXES, "DATABASE_"))


def setting_like_names(text: str) -> set[str]:
    return {n for n in NAME.findall(text) if looks_like_a_setting(n)}


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {anchor(h) for h in HEADING.findall(FENCE.sub("", page.read_text()))}


def broken_links(page: Path) -> list[str]:
    """The relative links of `page` that lead to no file, or to no heading of a page."""
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …
            continue
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        shown = file.relative_to(ROOT).as_posix() if file.is_relative_to(ROOT) else str(file)
        if not file.exists():
            broken.append(f"{target} (no file {shown})")
        elif fragment and file.suffix == ".md" and fragment not in anchors(file):
            broken.append(f"{target} (no heading #{fragment} in {shown})")
    return broken


def example_values() -> dict[str, str]:
    """`NAME=value` and `#NAME=value` lines of .env.example."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if m := re.fullmatch(r"#?([A-Z][A-Z0-9_]*)=(.*)", line.strip()):
            found[m[1]] = m[2]
    return found


def documented_defaults() -> dict[str, str]:
    """The Default column of the settings reference: a `value`, or empty, per setting (the
    required ones are left out)."""
    found = {}
    for row in re.findall(r"^\| `([A-Z0-9_]+)` \| ([^|]*) \|", SETTINGS_PAGE.read_text(), re.M):
        name, cell = row
        if cell.startswith("required"):
            continue
        value = re.match(r"`([^`]*)`", cell)
        assert value or cell.startswith("empty"), f"{name}: default {cell!r} is not `…` or empty"
        found[name] = value[1] if value else ""
    return found


def test_every_setting_is_in_the_settings_page_and_the_example() -> None:
    reference = SETTINGS_PAGE.read_text()
    example = example_values()
    missing_page = [n for n in SETTING_NAMES if f"`{n}`" not in reference]
    missing_example = [n for n in SETTING_NAMES if n not in example]
    assert missing_page == [], f"not in docs/settings.md: {missing_page}"
    assert missing_example == [], f"no NAME= or #NAME= line in .env.example: {missing_example}"


def test_the_reference_has_one_row_per_setting_in_order() -> None:
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \|", SETTINGS_PAGE.read_text(), re.M)
    assert rows == list(SETTING_NAMES)


@pytest.mark.parametrize("source", ["docs/settings.md", ".env.example"])
def test_the_defaults_written_are_the_defaults(source: str) -> None:
    """Each value a page gives as the default reads as the bot's default does."""
    written = documented_defaults() if source == "docs/settings.md" else example_values()
    defaults = load_settings(TOKENS)
    wrong = [
        f"{name}={value!r}"
        for name, value in written.items()
        if name not in TOKENS and load_settings({**TOKENS, name: value}) != defaults
    ]
    assert wrong == [], f"{source} gives as the default what is not: {wrong}"
    if source == "docs/settings.md":
        assert set(written) == set(SETTING_NAMES) - set(TOKENS)


@pytest.mark.parametrize("page", [*pages(), ENV_EXAMPLE], ids=lambda p: p.name)
def test_every_setting_named_exists(page: Path) -> None:
    unknown = setting_like_names(page.read_text()) - set(SETTING_NAMES) - set(NOT_SETTINGS)
    assert unknown == set(), f"{page.name} names settings the bot does not have: {unknown}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_every_relative_link_leads_somewhere(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_is_short() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines: move detail to docs/"


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The helpers above find a misspelt setting, a missing file and a missing heading."""
    assert setting_like_names("set ALERT_CHANEL_ID and POSTGRES_BIN") == {"ALERT_CHANEL_ID"}
    assert anchor("Answering an alert: Acknowledge and Snooze") == (
        "answering-an-alert-acknowledge-and-snooze"
    )
    assert anchor("The `/alerts` commands") == "the-alerts-commands"
    page = tmp_path / "page.md"
    page.write_text(
        "# Here\n[ok](#here) [web](https://x.org) [gone](nowhere.md) [bad](#there)\n"
        "```\n[in code](skipped.md)\n```\n"
    )
    assert broken_links(page) == [
        f"nowhere.md (no file {tmp_path / 'nowhere.md'})",
        "#there (no heading #there in " + str(page) + ")",
    ]


def test_the_schema_versions_the_docs_give_are_the_code_s() -> None:
    from state.migrations import POSTGRES, SQLITE

    text = (ROOT / "docs" / "operations.md").read_text()
    said = f"SQLite file is at version {len(SQLITE)} now, a PostgreSQL database at version "
    assert f"{said}{len(POSTGRES)}" in text
    assert f"schema version {len(SQLITE)}\n" in text
