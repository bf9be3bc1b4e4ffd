"""A throw-away PostgreSQL cluster, for the test session and for the benchmarks.

The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port (and on a
unix socket inside that directory), is tuned for speed rather than durability, and is
removed when stopped. It never touches a cluster the system may already run (Debian's
"main" on port 5432, say). ``start()`` raises :class:`PostgresUnavailable` with the reason
when no server can be started (binaries missing, initdb or start-up failing); the tests turn
that into a skip, or a failure under ``REQUIRE_POSTGRES=1`` (tests/support/databases.py).

``POSTGRES_BIN=/path/to/bin`` picks the directory holding initdb, pg_ctl and postgres;
without it the newest /usr/lib/postgresql/*/bin (or /usr/pgsql-*/bin) is used, else
``pg_config --bindir``, else the initdb on PATH. The cluster's directory goes to
``POSTGRES_TMPDIR`` when set, else to /dev/shm when it has 1 GiB free (RAM: initdb and CREATE
DATABASE are several times faster there), else to the temporary directory.

Running as root (PostgreSQL refuses to), initdb and pg_ctl run as the ``postgres`` user
through ``runuser``, and the temporary directory belongs to that user.

The helpers are synchronous and may be called from async code: the SQL ones run asyncpg on
a loop of their own in a worker thread. ``stop_server()``/``start_server()`` block for about
0.1-0.3 s; to let the caller's event loop (and a bot running on it) keep going meanwhile, call
them through ``await asyncio.to_thread(server.stop_server)``.
"""

from __future__ import annotations

import asyncio
import atexit
import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .process import free_port

T = TypeVar("T")

RUN_AS = "postgres"  # the system user that runs the server when we are root
SUPERUSER = "bot_test"
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": 200,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": 0,
    "checkpoint_timeout": "1h",
    "max_wal_size": "1GB",
    "jit": "off",
    "logging_collector": "off",
    "log_min_messages": "warning",
}
SHM, SHM_MIN_FREE = "/dev/shm", 1 << 30  # Docker's default 64 MiB /dev/shm would be too small
SEARCH_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin")


LIBPQ_PREFIX = "PG"
"""The prefix of libpq's environment variables (not a setting of ours)."""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


def _version_key(path: Path) -> tuple[int, ...]:
    """(15,) for /usr/lib/postgresql/15/bin, (9, 6) for .../9.6/bin, () when unparseable."""
    for part in reversed(path.parts):
        found = re.search(r"(\d+(?:\.\d+)*)", part)
        if found:
            return tuple(int(n) for n in found.group(1).split("."))
    return ()


def _has_server(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres"))


def find_bindir() -> Path:
    """The directory with initdb, pg_ctl and postgres; raises PostgresUnavailable."""
    override = os.environ.get("POSTGRES_BIN")
    if override:
        bindir = Path(override)
        if not _has_server(bindir):
            raise PostgresUnavailable(
                f"POSTGRES_BIN={override} has no executable initdb, pg_ctl and postgres"
            )
        return bindir
    candidates = sorted(
        (Path(p) for pattern in SEARCH_GLOBS for p in glob.glob(pattern)),
        key=_version_key,
        reverse=True,
    )
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            candidates.append(Path(out))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if _has_server(bindir):
            return bindir
    looked = ", ".join([*SEARCH_GLOBS, "pg_config --bindir", "PATH"])
    raise PostgresUnavailable(f"no PostgreSQL server binaries (initdb, pg_ctl) in {looked}")


def _base_candidates() -> list[str]:
    """Where the cluster's directory may go, best first: POSTGRES_TMPDIR when set, else a
    roomy /dev/shm (in RAM: initdb and CREATE DATABASE are several times faster than on a
    disk), the temporary directory, /tmp."""
    override = os.environ.get("POSTGRES_TMPDIR")
    if override:
        return [override]
    candidates = []
    try:
        shm = os.statvfs(SHM)
        if shm.f_bavail * shm.f_frsize >= SHM_MIN_FREE:
            candidates.append(SHM)
    except OSError:
        pass
    candidates += [tempfile.gettempdir(), "/tmp"]
    return list(dict.fromkeys(candidates))


def _conf_value(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a fresh event loop in a worker thread, whether or not the calling
    thread has a running loop (async tests do)."""
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["value"] = asyncio.run(make())
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=work, name="postgres-admin", daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


class PostgresServer:
    """One throw-away cluster. ``start()`` it once, ``stop()`` it at the end; in between
    ``stop_server()``/``start_server()`` take it down and up again on the same port with its
    data kept."""

    def __init__(self, bindir: Path | None = None) -> None:
        self._bindir = bindir
        self.user = SUPERUSER
        self.password = secrets.token_hex(16)
        self.host = "127.0.0.1"
        self.port = 0
        self.base: Path | None = None
        self.running = False
        self._as_root = os.geteuid() == 0
        self._counter = 0
        self._lock = threading.Lock()

    # -- paths and URLs -------------------------------------------------------------------

    @property
    def datadir(self) -> Path:
        assert self.base is not None, "not started"
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.base is not None, "not started"
        return self.base / "sock"

    @property
    def logfile(self) -> Path:
        assert self.base is not None, "not started"
        return self.base / "postgres.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{dbname}"

    @property
    def dsn(self) -> str:
        """The maintenance database ``postgres``; tests want ``fresh_database()``."""
        return self.url("postgres")

    # -- process control ------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        # The developer's libpq variables (PGPORT, PGDATA, PGHOST...) must not steer our cluster.
        env = {k: v for k, v in os.environ.items() if not k.startswith(LIBPQ_PREFIX)}
        env["LC_ALL"] = "C"
        env.pop("LANG", None)
        return env

    def _run(self, args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        assert self._bindir is not None and self.base is not None
        cmd = [str(self._bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        return subprocess.run(
            cmd,
            cwd=self.base,  # the caller's cwd may be closed to the postgres user
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self._run(["pg_ctl", "-D", str(self.datadir), *args], timeout=90)

    def _make_base(self) -> Path:
        account = None
        if self._as_root:
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root and runuser (util-linux) is missing")
            try:
                account = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root and there is no {RUN_AS!r} user to run PostgreSQL as"
                ) from None
        problems = []
        for parent in _base_candidates():
            try:
                base = Path(tempfile.mkdtemp(prefix="pgtest-", dir=parent))
            except OSError as exc:
                problems.append(f"{parent}: {exc}")
                continue
            if account is None:
                return base
            # The postgres user must be able to reach it (not so under /root, say).
            os.chown(base, account.pw_uid, account.pw_gid)
            probe = subprocess.run(
                ["runuser", "-u", RUN_AS, "--", "test", "-w", str(base)],
                cwd="/",
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0:
                return base
            problems.append(f"{parent}: not writable by {RUN_AS!r}")
            shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"no directory for the cluster: {'; '.join(problems)}")

    def _own(self, path: Path) -> None:
        if self._as_root:
            account = pwd.getpwnam(RUN_AS)
            os.chown(path, account.pw_uid, account.pw_gid)

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        """Create the cluster and start it; raises PostgresUnavailable with the reason."""
        if self._bindir is None:
            self._bindir = find_bindir()
        self.base = self._make_base()
        try:
            self._initdb()
            for attempt in range(3):
                self.port = free_port()
                self._write_settings()
                try:
                    self.start_server()
                    break
                except PostgresUnavailable:
                    # Someone took the port between our probe and the bind: try another one.
                    if attempt == 2 or "already in use" not in self._log_tail(50):
                        raise
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)  # in case the session dies before the fixture's teardown

    def _initdb(self) -> None:
        assert self.base is not None
        self.socket_dir.mkdir()
        self._own(self.socket_dir)
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        self._own(pwfile)
        result = self._run(
            [
                "initdb",
                "-D",
                str(self.datadir),
                "-U",
                self.user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=120,
        )
        pwfile.unlink()
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            raise PostgresUnavailable(f"initdb failed (exit {result.returncode}): {output}")
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write("\ninclude 'pytest.conf'\n")

    def _write_settings(self) -> None:
        socket_dir = str(self.socket_dir)
        if len(f"{socket_dir}/.s.PGSQL.{self.port}") > 100:  # sun_path holds 107 bytes
            socket_dir = ""  # TCP only then; neither pg_ctl -w nor the tests need the socket
        settings = {**SETTINGS, "port": self.port, "unix_socket_directories": socket_dir}
        path = self.datadir / "pytest.conf"
        path.write_text("".join(f"{k} = {_conf_value(v)}\n" for k, v in settings.items()))
        self._own(path)

    def start_server(self) -> None:
        """Start the cluster again (same port, same data); waits until it accepts
        connections. Does nothing when it is running."""
        with self._lock:
            if self.running:
                return
            result = self._pg_ctl("-l", str(self.logfile), "-w", "-t", "60", "start")
            if result.returncode != 0:
                output = (result.stdout + result.stderr).strip()
                raise PostgresUnavailable(
                    f"pg_ctl start failed (exit {result.returncode}): {output}\n"
                    f"--- {self.logfile} ---\n{self._log_tail()}"
                )
            self.running = True

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the cluster, keeping its data. ``fast`` (the default) disconnects clients
        and shuts down cleanly; ``immediate`` is a crash (recovery on the next start)."""
        with self._lock:
            if not self.running:
                return
            result = self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")
            if result.returncode != 0:
                raise RuntimeError(f"pg_ctl stop failed: {(result.stdout + result.stderr).strip()}")
            self.running = False

    def stop(self) -> None:
        """Stop the cluster for good and remove its directory. Safe to call twice."""
        atexit.unregister(self.stop)
        if self.base is None:
            return
        if self.running or (self.datadir / "postmaster.pid").exists():
            self._pg_ctl("-m", "immediate", "-w", "-t", "60", "stop")
            self.running = False
        shutil.rmtree(self.base, ignore_errors=True)
        self.base = None

    # -- SQL helpers ----------------------------------------------------------------------

    def execute(self, fn: Callable[[Any], Awaitable[T]], dbname: str = "postgres") -> T:
        """Run ``await fn(connection)`` on an asyncpg connection to ``dbname`` as the
        superuser and return its result."""
        import asyncpg

        async def main() -> T:
            conn = await asyncpg.connect(self.url(dbname), timeout=30)
            try:
                return await fn(conn)
            finally:
                await conn.close()

        return _in_thread(main)

    def fresh_database(self) -> str:
        """CREATE DATABASE with a unique name (an empty copy of template0); its DSN."""
        with self._lock:
            self._counter += 1
            name = f"test_{os.getpid()}_{self._counter}_{secrets.token_hex(3)}"

        async def create(conn: Any) -> None:
            # FILE_COPY (the only way before 15) beats 15's default WAL_LOG for a small template.
            strategy = " STRATEGY FILE_COPY" if conn.get_server_version().major >= 15 else ""
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0{strategy}')

        self.execute(create)
        return self.url(name)

    def drop_database(self, name_or_url: str) -> None:
        """DROP DATABASE, disconnecting whoever is still connected to it."""
        name = _dbname(name_or_url)

        async def drop(conn: Any) -> None:
            force = " WITH (FORCE)" if conn.get_server_version().major >= 13 else ""
            if not force:
                await _terminate(conn, name)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"{force}')

        self.execute(drop)

    def terminate_connections(self, name_or_url: str) -> int:
        """pg_terminate_backend every other connection to the database (a name or a DSN),
        as a lost connection would; waits until they are gone. Returns how many there were."""
        name = _dbname(name_or_url)
        return self.execute(lambda conn: _terminate(conn, name))


async def _terminate(conn: Any, name: str) -> int:
    query = (
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend'"
    )
    pids = [row["pid"] for row in await conn.fetch(query, name)]
    for pid in pids:
        await conn.execute("SELECT pg_terminate_backend($1)", pid)
    for _ in range(500):  # pg_terminate_backend only signals; wait up to 5 s for the exits
        if not await conn.fetchval(f"SELECT count(*) FROM ({query}) AS s", name):
            break
        await asyncio.sleep(0.01)
    return len(pids)


def _dbname(name_or_url: str) -> str:
    if "://" in name_or_url:
        return urlsplit(name_or_url).path.lstrip("/")
    return name_or_url
