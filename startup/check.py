"""`python bot.py --check`: what a start would find, without Discord. The same settings
warnings, the database and the health address, and exactly the accounts the bot would
watch (USEAPI_ACCOUNTS, or every account of the token when it is empty)."""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import aiohttp

from credits.report import account_report, failure_report
from minimax_api import (
    Features,
    MiniMaxClient,
    SubscriptionExpired,
    TokenRefused,
    UseapiError,
)
from settings import Settings
from startup.compose import make_client
from state.probe import Unopenable, schema_version

Write = Callable[[str], None]


async def run_check(settings: Settings, warnings: Sequence[str], write: Write = print) -> int:
    """Print the report; 1 when something would stop the bot or its alerts, else 0."""
    for warning in warnings:
        write(f"[warning] {warning}")
    fine = await _database(settings, write)
    fine = _health(settings, write) and fine
    async with aiohttp.ClientSession() as session:
        client = make_client(session, settings)
        fine = await _accounts(client, settings, write) and fine
    return 0 if fine else 1


async def _database(settings: Settings, write: Write) -> bool:
    where = f"database {settings.database}"
    try:
        found, known = await schema_version(settings.database)
    except Unopenable as exc:
        write(f"[FAILED] {where}: {exc}: check DATABASE_URL")
        return False
    if found > known:
        write(f"[FAILED] {where}: schema version {found}, newer than this bot knows ({known})")
        return False
    if found == known:
        write(f"[ok] {where}: schema version {known}")
    elif found == 0:
        write(f"[ok] {where}: new, the first start creates it (schema version {known})")
    else:
        write(f"[ok] {where}: schema version {found}, the next start upgrades it to {known}")
    return True


def _health(settings: Settings, write: Write) -> bool:
    if settings.health_port is None:
        return True
    where = f"health endpoint {settings.health_host}:{settings.health_port}"
    try:
        with socket.create_server((settings.health_host, settings.health_port)):
            pass
    except OSError as exc:
        write(f"[FAILED] {listen_problem(settings, exc)}")
        return False
    write(f"[ok] {where}: free to listen on")
    return True


def listen_problem(settings: Settings, exc: OSError) -> str:
    """Which setting a failure to listen is the fault of, and what to do."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"HEALTH_PORT={settings.health_port}: the port is in use (is the bot already "
            "running?): pick a free port or leave it empty"
        )
    reason = exc.strerror or exc.__class__.__name__
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"HEALTH_HOST={settings.health_host}: cannot listen there ({reason}): use an "
            "address of this machine, 0.0.0.0 or 127.0.0.1"
        )
    return (
        f"HEALTH_PORT={settings.health_port}: cannot listen ({reason}): pick another port "
        "(ports below 1024 need privileges) or leave it empty"
    )


async def _accounts(client: MiniMaxClient, settings: Settings, write: Write) -> bool:
    known: tuple[str, ...] = ()
    try:
        known = tuple(a.account for a in await client.accounts())
    except UseapiError as exc:
        if not settings.useapi_accounts or isinstance(exc, (TokenRefused, SubscriptionExpired)):
            token_wide = isinstance(exc, (TokenRefused, SubscriptionExpired))
            subject = "USEAPI_TOKEN" if token_wide else "the accounts listing"
            write(failure_report(subject, exc))  # once for the token, not per account
            return False
    watched = settings.useapi_accounts or known
    if not watched:
        write("[FAILED] USEAPI_TOKEN: useapi.net lists no MiniMax account: add one at useapi.net")
        return False
    gate = asyncio.Semaphore(settings.poll_concurrency)

    async def one(account: str) -> Features | UseapiError:
        async with gate:
            try:
                return await client.features(account)
            except UseapiError as exc:
                return exc

    results = await asyncio.gather(*(one(a) for a in watched))
    now = datetime.now(UTC)
    for account, found in zip(watched, results, strict=True):
        if isinstance(found, UseapiError):
            write(failure_report(account, found, known))
        else:
            write(account_report(account, found, now))
    return not any(isinstance(found, UseapiError) for found in results)
