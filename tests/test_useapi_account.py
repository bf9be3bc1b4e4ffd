"""The useapi.net account behind the token (`GET /v2/account`): parsing, and the client
against the loopback useapi.net."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from alerts.domain.notices import USEAPI_SUBJECT, Notice, UseapiTrouble
from alerts.render.messages import notice_embed
from alerts.render.rules import useapi_line
from minimax_api import (
    MiniMaxClient,
    Priority,
    RateLimited,
    RateLimiter,
    RetryPolicy,
    ServiceCounts,
    SubscriptionExpired,
    TokenRefused,
    UpstreamTimeout,
    UpstreamUnavailable,
    UseapiAccount,
    parse_account,
)
from minimax_api.account import renewal_date
from testbed.upstream import Fault, useapi_account_payload
from tests.support.clients import FAST, make

# useapi.net's documented example, as in the reference notes.
DOCUMENTED = {
    "id": "u_123",
    "email": "team@example.com",
    "name": "Team",
    "created": "2024-01-10T10:00:00.000Z",
    "verified": True,
    "subscriptionIsActive": True,
    "subscriptions": 3,
    "maxAccountsPerAPI": 50,
    "sub": "261115",
    "accounts": {"MiniMax API": {"total": 4, "active": 3, "error": 1}},
    "updated": "2026-11-15T08:00:00.000Z",
}


# --- parsing ---------------------------------------------------------------------------------


def test_documented_example_parses_every_field() -> None:
    account = parse_account(DOCUMENTED)
    assert account.subscription_active is True
    assert account.renewed == date(2026, 11, 15)
    assert account.subscriptions == 3
    assert account.max_accounts == 50
    assert account.name == "Team"
    assert account.email == "team@example.com"
    assert dict(account.services) == {"MiniMax API": ServiceCounts(total=4, active=3, error=1)}
    assert account.minimax == ServiceCounts(total=4, active=3, error=1)


def test_the_testbed_payload_is_the_documented_example() -> None:
    assert useapi_account_payload(total=4, error=1) == DOCUMENTED
    lapsed = parse_account(useapi_account_payload(active=False, total=2, sub="250101"))
    assert lapsed.subscription_active is False
    assert lapsed.renewed == date(2025, 1, 1)
    assert lapsed.minimax == ServiceCounts(total=2, active=2, error=0)


# The field of UseapiAccount that each key of the payload feeds; the other keys feed none.
FEEDS = {
    "subscriptionIsActive": "subscription_active",
    "sub": "renewed",
    "subscriptions": "subscriptions",
    "maxAccountsPerAPI": "max_accounts",
    "accounts": "services",
    "name": "name",
    "email": "email",
}


def test_each_key_missing_in_turn_empties_its_own_field_and_no_other() -> None:
    full = parse_account(DOCUMENTED)
    empty = UseapiAccount()
    names = [f.name for f in dataclasses.fields(UseapiAccount)]
    assert all(getattr(full, n) != getattr(empty, n) for n in FEEDS.values()), (
        "the example fills every field, or a missing key could not show"
    )
    for key in DOCUMENTED:
        partial = parse_account({k: v for k, v in DOCUMENTED.items() if k != key})
        changed = {n for n in names if getattr(partial, n) != getattr(full, n)}
        assert changed == ({FEEDS[key]} if key in FEEDS else set()), f"without {key!r}"
        assert all(getattr(partial, n) == getattr(empty, n) for n in changed), key


@pytest.mark.parametrize("payload", [None, [], [DOCUMENTED], "text", 42, True, {}])
def test_a_payload_that_is_not_an_object_gives_an_empty_view(payload: object) -> None:
    # As parse_features does; a body that is not JSON at all never reaches the parser.
    account = parse_account(payload)
    assert account == UseapiAccount()
    assert account.subscription_active is None and account.renewed is None
    assert dict(account.services) == {} and account.minimax is None


def test_unknown_fields_are_harmless() -> None:
    payload = {**DOCUMENTED, "future": {"deep": [1, {"x": None}]}, "accounts": {
        **DOCUMENTED["accounts"], "Kling API": {"total": 1, "active": 1, "error": 0, "new": 7},
    }}  # fmt: skip
    account = parse_account(payload)
    assert account.minimax == ServiceCounts(4, 3, 1)
    assert account.services["Kling API"] == ServiceCounts(1, 1, 0)


def test_counts_given_as_strings_are_read() -> None:
    payload = {"accounts": {"MiniMax API": {"total": "4", "active": " 3 ", "error": "1.0"}}}
    assert parse_account(payload).minimax == ServiceCounts(total=4, active=3, error=1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, ServiceCounts(None, None, None)),
        ({"total": 2}, ServiceCounts(2, None, None)),
        ({"total": 2, "active": 1, "error": 1}, ServiceCounts(2, 1, 1)),
        ({"total": 2, "active": 0, "error": 0}, ServiceCounts(2, 0, 0)),
        ({"total": 2, "active": None, "error": "x"}, ServiceCounts(2, None, None)),
        ({"total": True, "active": -3, "error": 1.5}, ServiceCounts(None, None, None)),
        ({"total": [2], "active": {"n": 1}, "error": 2}, ServiceCounts(None, None, 2)),
        ({"total": "n/a", "active": "", "error": " 2 "}, ServiceCounts(None, None, 2)),
    ],
)
def test_missing_or_odd_counts_are_unknown_never_zero(raw: dict, expected: ServiceCounts) -> None:
    assert parse_account({"accounts": {"MiniMax API": raw}}).minimax == expected


def test_services_that_are_not_objects_are_skipped() -> None:
    payload = {"accounts": {"MiniMax API": None, "Kling API": [1, 2], "Runway API": {"total": 1}}}
    account = parse_account(payload)
    assert list(account.services) == ["Runway API"]
    assert account.minimax is None


@pytest.mark.parametrize("accounts", [None, [], "MiniMax API", 3, {}])
def test_odd_accounts_give_no_services(accounts: object) -> None:
    account = parse_account({**DOCUMENTED, "accounts": accounts})
    assert dict(account.services) == {}
    assert account.minimax is None
    assert account.subscription_active is True, "the rest is still read"


def test_without_a_minimax_service_there_are_no_minimax_counts() -> None:
    account = parse_account({"accounts": {"Kling API": {"total": 2, "active": 2, "error": 0}}})
    assert account.minimax is None
    assert account.services["Kling API"] == ServiceCounts(2, 2, 0)


@pytest.mark.parametrize("name", ["MiniMax API", "minimax api", "MINIMAX API", " MiniMax API "])
def test_the_minimax_service_is_found_in_any_case(name: str) -> None:
    payload = {"accounts": {"Kling API": {"total": 9}, name: {"total": 2, "active": 1}}}
    assert parse_account(payload).minimax == ServiceCounts(2, 1, None)


@pytest.mark.parametrize("name", ["MiniMax", "minimax-v2", "Mini Max API", "Hailuo (MiniMax)"])
def test_a_name_containing_minimax_is_taken_too(name: str) -> None:
    payload = {"accounts": {"Kling API": {"total": 9}, name: {"total": 2, "active": 2}}}
    assert parse_account(payload).minimax == ServiceCounts(2, 2, None)


def test_the_exact_name_wins_over_one_that_merely_contains_minimax() -> None:
    payload = {"accounts": {"MiniMax Legacy": {"total": 9}, "minimax API": {"total": 2}}}
    assert parse_account(payload).minimax == ServiceCounts(2, None, None)


@pytest.mark.parametrize(
    ("sub", "expected"),
    [
        ("261115", date(2026, 11, 15)),
        ("000101", date(2000, 1, 1)),
        ("991231", date(2099, 12, 31)),
        (" 240229 ", date(2024, 2, 29)),
        (261115, date(2026, 11, 15)),
        ("261315", None),  # month 13
        ("250229", None),  # not a leap year
        ("261100", None),
        ("2611", None),
        ("2611150", None),
        ("2026-11-15", None),
        ("26111x", None),
        ("٢٦١١١٥", None),  # digits, but not ASCII ones
        ("", None),
        (None, None),
        (True, None),
        ([2, 6, 1, 1, 1, 5], None),
        (-261115, None),
    ],
)
def test_renewal_date_is_yymmdd_and_never_raises(sub: object, expected: date | None) -> None:
    assert renewal_date(sub) == expected
    assert parse_account({**DOCUMENTED, "sub": sub}).renewed == expected


def test_wrong_types_become_none() -> None:
    payload = {
        "subscriptionIsActive": "yes",
        "subscriptions": "three",
        "maxAccountsPerAPI": {"n": 50},
        "name": ["Team"],
        "email": None,
        "sub": 3.5,
    }
    assert parse_account(payload) == UseapiAccount()


def test_flags_and_numbers_in_their_lenient_forms() -> None:
    payload = {"subscriptionIsActive": 0, "subscriptions": "3", "maxAccountsPerAPI": 50.0}
    account = parse_account(payload)
    assert account.subscription_active is False
    assert (account.subscriptions, account.max_accounts) == (3, 50)


def test_the_view_is_immutable_and_hashable() -> None:
    account = parse_account(DOCUMENTED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        account.name = "x"  # type: ignore[misc]
    for view in (account, UseapiAccount()):
        with pytest.raises(TypeError):
            view.services["x"] = ServiceCounts(0, 0, 0)  # type: ignore[index]
    assert hash(account) == hash(parse_account(DOCUMENTED))
    assert account == parse_account(DOCUMENTED)


# --- the client against the loopback useapi.net ----------------------------------------------


async def test_the_account_is_read_from_v2_with_the_bearer_token(session, upstream) -> None:
    upstream.add_account("111")
    upstream.add_account("222")
    account = await make(session, upstream).useapi_account()
    assert account.subscription_active is True
    assert account.renewed == date(2026, 11, 15)
    assert account.minimax == ServiceCounts(total=2, active=2, error=0)
    [seen] = upstream.requests
    assert seen.path == "/v2/account"
    assert seen.raw_query == ""
    assert seen.authorization == f"Bearer {upstream.token}"
    assert upstream.account_calls() == [seen]


async def test_the_payload_set_on_the_fake_is_served(session, upstream) -> None:
    upstream.useapi_account = useapi_account_payload(active=False, total=5, error=2, sub="250704")
    account = await make(session, upstream).useapi_account()
    assert account.subscription_active is False
    assert account.renewed == date(2025, 7, 4)
    assert account.minimax == ServiceCounts(total=5, active=3, error=2)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://api.useapi.net/v1", "https://api.useapi.net/v2/account"),
        ("https://api.useapi.net/v1/", "https://api.useapi.net/v2/account"),
        ("http://127.0.0.1:1234/v1", "http://127.0.0.1:1234/v2/account"),
        ("http://proxy.example/useapi/v1", "http://proxy.example/useapi/v2/account"),
        ("http://proxy.example/api", "http://proxy.example/v2/account"),
    ],
)
async def test_the_v2_url_is_the_sibling_of_the_base(session, base: str, expected: str) -> None:
    client = MiniMaxClient(session, token="t", base_url=base)
    assert str(client.useapi_account_url()) == expected


async def test_a_wrong_token_is_refused(session, upstream) -> None:
    with pytest.raises(TokenRefused):
        await make(session, upstream, token="wrong").useapi_account()
    assert len(upstream.account_calls()) == 1, "not retried"


async def test_a_lapsed_subscription_is_402(session, upstream) -> None:
    upstream.fail_account(Fault("status", status=402, body={"error": "Subscription expired"}))
    with pytest.raises(SubscriptionExpired) as info:
        await make(session, upstream).useapi_account()
    assert info.value.detail == "Subscription expired"
    assert len(upstream.account_calls()) == 1, "not retried"


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_transient_failures_are_retried_then_succeed(session, upstream, status) -> None:
    upstream.add_account("a")
    upstream.fail_account(Fault("status", status=status, times=2))
    account = await make(session, upstream).useapi_account()
    assert account.minimax == ServiceCounts(1, 1, 0)
    assert len(upstream.account_calls()) == 3


async def test_a_500_is_unavailable_and_not_retried_as_for_features(session, upstream) -> None:
    upstream.fail_account(Fault("status", status=500, times=1))
    client = make(session, upstream)
    with pytest.raises(UpstreamUnavailable):
        await client.useapi_account()
    assert len(upstream.account_calls()) == 1
    assert (await client.useapi_account()).subscription_active is True, "the next call works"


async def test_retries_are_bounded(session, upstream) -> None:
    upstream.fail_account(Fault("status", status=503))
    with pytest.raises(UpstreamUnavailable):
        await make(session, upstream).useapi_account()
    assert len(upstream.account_calls()) == FAST.attempts


async def test_rate_limited_beyond_the_deadline_gives_up(session, upstream) -> None:
    upstream.fail_account(Fault("status", status=429, headers={"Retry-After": "120"}))
    with pytest.raises(RateLimited) as info:
        await make(session, upstream).useapi_account()
    assert info.value.retry_after == 120
    assert len(upstream.account_calls()) == 1


@pytest.mark.parametrize("status", [200, 502])
async def test_an_html_page_is_unavailable(session, upstream, status) -> None:
    upstream.fail_account(Fault("html", status=status))
    with pytest.raises(UpstreamUnavailable) as info:
        await make(session, upstream, retry=RetryPolicy(attempts=1)).useapi_account()
    assert "<html" not in str(info.value)


async def test_malformed_json_is_unavailable(session, upstream) -> None:
    upstream.fail_account(Fault("badjson"))
    with pytest.raises(UpstreamUnavailable) as info:
        await make(session, upstream).useapi_account()
    assert "not usable JSON" in str(info.value)
    assert len(upstream.account_calls()) == 1, "a broken 200 is not retried"


async def test_a_200_that_is_not_an_object_gives_an_empty_view(session, upstream) -> None:
    upstream.useapi_account = ["not", "an", "object"]  # type: ignore[assignment]
    assert await make(session, upstream).useapi_account() == UseapiAccount()


async def test_a_slow_answer_times_out(session, upstream) -> None:
    upstream.fail_account(Fault("slow", delay=2.0))
    with pytest.raises(UpstreamTimeout):
        await make(session, upstream, timeout=0.2).useapi_account()


async def test_faults_of_the_account_and_of_features_stay_apart(session, upstream) -> None:
    upstream.add_account("a")
    client = make(session, upstream, retry=RetryPolicy(attempts=1))
    upstream.fail_account(Fault("status", status=402))
    assert (await client.features("a")).total_credits == 100
    with pytest.raises(SubscriptionExpired):
        await client.useapi_account()
    upstream.clear()
    upstream.fail(None, Fault("status", status=402))
    upstream.fail("a", Fault("status", status=402))
    assert (await client.useapi_account()).minimax == ServiceCounts(1, 1, 0)
    with pytest.raises(SubscriptionExpired):
        await client.features("a", fresh=True)


async def test_every_call_asks_upstream(session, upstream) -> None:
    client = make(session, upstream)
    await client.useapi_account()
    await client.useapi_account()
    assert len(upstream.account_calls()) == 2, "not cached"


class RecordingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__(1000, burst=1000)
        self.seen: list[Priority] = []

    async def acquire(
        self,
        priority: Priority = Priority.INTERACTIVE,
        *,
        waiting: Callable[[], None] = lambda: None,
    ) -> None:
        self.seen.append(priority)
        await super().acquire(priority, waiting=waiting)


async def test_the_rate_limiter_and_observer_see_every_attempt(session, upstream) -> None:
    limiter = RecordingLimiter()
    heard: list[tuple[str, str]] = []
    upstream.fail_account(Fault("status", status=503, times=1))
    client = make(session, upstream, limiter=limiter, observe=lambda e, o: heard.append((e, o)))
    await client.useapi_account()
    await client.useapi_account(priority=Priority.INTERACTIVE)
    assert limiter.seen == [Priority.BACKGROUND, Priority.BACKGROUND, Priority.INTERACTIVE]
    assert heard == [("account", "503"), ("account", "200"), ("account", "200")]


def test_unknown_counts_read_as_unknown_in_status_and_in_the_alert() -> None:
    account = parse_account({"accounts": {"MiniMax API": {"error": 2, "total": None}}})
    assert "MiniMax accounts: ? (? active, 2 in error)" in useapi_line(account)
    trouble = UseapiTrouble("account_errors", errors=2, total=None)
    assert UseapiTrouble.from_json(trouble.to_json()) == trouble
    notice = Notice("n", USEAPI_SUBJECT, trouble, datetime(2026, 12, 1, tzinfo=UTC))
    text = notice_embed(notice).description or ""
    assert "reports **2** MiniMax accounts with outstanding issues" in text
