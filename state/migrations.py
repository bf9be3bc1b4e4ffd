"""The schema, one list of versioned migrations per dialect. Append, never edit.

SQLite keeps its version in PRAGMA user_version (versions 1-3 were written by earlier bots);
PostgreSQL in the table schema_version. The tables are the same in both.
"""

from __future__ import annotations

SNAPSHOTS = """
    CREATE TABLE snapshots (
        account TEXT NOT NULL,
        at      BIGINT NOT NULL,
        data    TEXT NOT NULL,
        PRIMARY KEY (account, at)
    );
    """
"""Usage history: one row per account and check (epoch seconds), the snapshot as JSON."""

SILENCES = """
    CREATE TABLE snoozes (
        account  TEXT PRIMARY KEY,
        until_at BIGINT NOT NULL,
        by_user  TEXT NOT NULL,
        reason   TEXT,
        at       BIGINT NOT NULL
    );
    CREATE TABLE acks (
        account TEXT NOT NULL,
        kind    TEXT NOT NULL,
        ends_at BIGINT NOT NULL,
        by_user TEXT NOT NULL,
        at      BIGINT NOT NULL,
        PRIMARY KEY (account, kind, ends_at)
    );
    CREATE TABLE alert_messages (
        ref        TEXT PRIMARY KEY,
        items      TEXT NOT NULL,
        created_at BIGINT NOT NULL
    );
    CREATE TABLE alert_picks (
        ref      TEXT NOT NULL,
        user_id  TEXT NOT NULL,
        accounts TEXT NOT NULL,
        PRIMARY KEY (ref, user_id)
    );
    CREATE TABLE alert_answers (
        ref     TEXT NOT NULL,
        account TEXT NOT NULL,
        line    TEXT NOT NULL,
        PRIMARY KEY (ref, account)
    );
    """
"""What the team said of its alerts (epoch seconds): snoozed accounts, acknowledged batches,
what each alert message with buttons announces, each member's pick of its accounts, and the
answer given for each account of a message (one row each: two presses at once both stay)."""

RULES = """
    CREATE TABLE alert_rules (
        account       TEXT PRIMARY KEY,
        channel_id    TEXT,
        role_id       TEXT,
        steps         TEXT,
        low_balance   DOUBLE PRECISION,
        runs_out_days DOUBLE PRECISION,
        by_user       TEXT NOT NULL,
        at            BIGINT NOT NULL
    );
    CREATE TABLE alert_rule_changes (
        account TEXT NOT NULL,
        at      BIGINT NOT NULL,
        by_user TEXT NOT NULL,
        change  TEXT NOT NULL
    );
    CREATE INDEX alert_rule_changes_account ON alert_rule_changes(account, at);
    CREATE TABLE alert_conditions (
        account   TEXT NOT NULL,
        condition TEXT NOT NULL,
        since     BIGINT NOT NULL,
        PRIMARY KEY (account, condition)
    );
    """
"""Rules per account (epoch seconds; ids as text), each change to them (who, when, what),
and the conditions alerted once until they clear (low balance, running out, the useapi.net
account's): a row while the condition holds and was announced, since when in epoch ms."""

JOBS = """
    CREATE TABLE job_outcomes (
        account  TEXT NOT NULL,
        day      TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        code     INTEGER NOT NULL,
        jobs     BIGINT NOT NULL,
        msec     BIGINT NOT NULL,
        timed    BIGINT NOT NULL,
        PRIMARY KEY (account, day, endpoint, code)
    );
    CREATE INDEX job_outcomes_day ON job_outcomes(day);
    CREATE TABLE job_models (
        account TEXT NOT NULL,
        day     TEXT NOT NULL,
        model   TEXT NOT NULL,
        jobs    BIGINT NOT NULL,
        PRIMARY KEY (account, day, model)
    );
    CREATE INDEX job_models_day ON job_models(day);
    CREATE TABLE job_days (
        account TEXT NOT NULL,
        day     TEXT NOT NULL,
        read_at BIGINT NOT NULL,
        final   INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account, day)
    );
    CREATE TABLE job_stats_health (
        subject       TEXT PRIMARY KEY,
        failures      INTEGER NOT NULL DEFAULT 0,
        failing_since TEXT,
        notified      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        last_success  TEXT
    );
    """
"""useapi.net's job statistics per account and UTC day (`YYYY-MM-DD`), two facets: jobs and
time per endpoint and code (`timed`: the jobs `msec` sums over), and jobs per model (model ""
unknown); which days were read and when (epoch seconds; `final` once read after the day was
over and its late rows in), and how reading them goes (the "can't read" notice)."""

FAILURE_RULES = """
    ALTER TABLE alert_rules ADD COLUMN failure_rate DOUBLE PRECISION;
    ALTER TABLE alert_rules ADD COLUMN failure_min_jobs INTEGER;
    """
"""The job failure alert's rule: a success rate in percent (0: off) over the last jobs."""

FOLLOW_UPS = """
    CREATE TABLE alert_posts (
        nonce      TEXT PRIMARY KEY,
        ref        TEXT NOT NULL,
        account    TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        position   INTEGER NOT NULL,
        posted_at  BIGINT NOT NULL
    );
    CREATE INDEX alert_posts_ref ON alert_posts(ref);
    CREATE INDEX alert_posts_account ON alert_posts(account, posted_at);
    CREATE TABLE alert_resolved (
        nonce TEXT PRIMARY KEY,
        ref   TEXT NOT NULL,
        line  TEXT NOT NULL,
        at    BIGINT NOT NULL,
        drawn INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX alert_resolved_ref ON alert_resolved(ref);
    CREATE TABLE escalations (
        ref        TEXT NOT NULL,
        account    TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        role_id    TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        due_at     BIGINT NOT NULL,
        every_s    DOUBLE PRECISION NOT NULL,
        sent       INTEGER NOT NULL DEFAULT 0,
        most       INTEGER NOT NULL,
        state      TEXT NOT NULL DEFAULT 'pending',
        PRIMARY KEY (ref, account)
    );
    CREATE INDEX escalations_due ON escalations(state, due_at);
    """
"""What follows an alert once posted (epoch seconds; ids as text): where each alert notice
was posted (message and channel, under the message's ref, its embed's `position`), the
alerts whose cause ended (the line their message shows; `drawn` once the message says so),
and the follow-ups pinging a role while nobody answers (`sent` of at most `most`, the next
at `due_at`)."""

FOLLOWS = """
    CREATE TABLE follows (
        account      TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        guild_id     TEXT NOT NULL,
        at           BIGINT NOT NULL,
        dm_closed_at BIGINT,
        PRIMARY KEY (account, user_id)
    );
    CREATE INDEX follows_user ON follows(user_id);
    """
"""Members who get an account's alerts by DM as well (epoch seconds), from the server they
followed in; `dm_closed_at`: Discord refused their DM (50007), no more until they follow again."""

RULE_FIELDS = """
    ALTER TABLE alert_rules ADD COLUMN low_audio DOUBLE PRECISION;
    ALTER TABLE alert_rules ADD COLUMN escalate_after DOUBLE PRECISION;
    ALTER TABLE alert_rules ADD COLUMN escalate_to TEXT;
    ALTER TABLE alert_rules ADD COLUMN escalate_repeat INTEGER;
    """
"""More of the rules: the low balance of the audio credits (`low_balance` is the video/image
credits' from now on), and the escalation of an alert nobody answers: after how many
seconds, pinging which role (an id as text, "0" for none), repeated at most how often."""

SQLITE: tuple[str, ...] = (
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE alert_keys (
        account    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        ends_at    INTEGER NOT NULL,
        threshold  REAL NOT NULL,
        nonce      TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (account, kind, ends_at, threshold)
    );
    CREATE TABLE outbox (
        nonce      TEXT PRIMARY KEY,
        account    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        payload    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at    TEXT,
        message_id TEXT,
        attempts   INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox(created_at) WHERE sent_at IS NULL;
    CREATE TABLE account_health (
        account       TEXT PRIMARY KEY,
        failures      INTEGER NOT NULL DEFAULT 0,
        failing_since TEXT,
        notified      INTEGER NOT NULL DEFAULT 0,
        last_success  TEXT,
        last_error    TEXT,
        last_error_at TEXT,
        soonest       TEXT
    );
    """,
    """
    ALTER TABLE outbox ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN set_aside TEXT;
    ALTER TABLE outbox ADD COLUMN set_aside_at TEXT;
    """,
    """
    CREATE TABLE claims (
        id     TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        at     REAL NOT NULL
    );
    CREATE INDEX claims_at ON claims(at);
    CREATE TABLE leases (
        name       TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    """,
    SNAPSHOTS,
    SILENCES,
    RULES,
    JOBS,
    FAILURE_RULES,
    FOLLOW_UPS,
    FOLLOWS,
    RULE_FIELDS,
)

POSTGRES: tuple[str, ...] = (
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE alert_keys (
        account    TEXT NOT NULL,
        kind       TEXT NOT NULL,
        ends_at    BIGINT NOT NULL,
        threshold  DOUBLE PRECISION NOT NULL,
        nonce      TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (account, kind, ends_at, threshold)
    );
    CREATE TABLE outbox (
        nonce        TEXT PRIMARY KEY,
        account      TEXT NOT NULL,
        kind         TEXT NOT NULL,
        payload      TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        sent_at      TEXT,
        message_id   TEXT,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        refusals     INTEGER NOT NULL DEFAULT 0,
        set_aside    TEXT,
        set_aside_at TEXT
    );
    CREATE INDEX outbox_pending ON outbox(created_at) WHERE sent_at IS NULL;
    CREATE TABLE account_health (
        account       TEXT PRIMARY KEY,
        failures      INTEGER NOT NULL DEFAULT 0,
        failing_since TEXT,
        notified      INTEGER NOT NULL DEFAULT 0,
        last_success  TEXT,
        last_error    TEXT,
        last_error_at TEXT,
        soonest       TEXT
    );
    CREATE TABLE claims (
        id     TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        at     DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX claims_at ON claims(at);
    CREATE TABLE leases (
        name       TEXT PRIMARY KEY,
        holder     TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    );
    """,
    SNAPSHOTS,
    SILENCES,
    RULES,
    JOBS,
    FAILURE_RULES,
    FOLLOW_UPS,
    FOLLOWS,
    RULE_FIELDS,
)


def statements(script: str) -> list[str]:
    """The statements of a migration (no semicolons inside them)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def too_new(version: int, known: int) -> str:
    return (
        f"the database schema is version {version}, newer than this bot knows ({known}): "
        "update the bot or point DATABASE_URL elsewhere"
    )


def where_it_is(found: int, known: int) -> str:
    """The one line a start logs about the schema."""
    if found == known:
        return f"database schema at version {known}"
    if found == 0:
        return f"database schema created at version {known}"
    return f"database schema upgraded from version {found} to {known}"
