"""The schema's history: an append-only list of migrations.

Each entry takes the database from version ``n - 1`` to ``n`` and is applied,
with its ``PRAGMA user_version`` bump, in one transaction. Never edit a
migration that has shipped; add a new one. The SQL stays portable (no SQLite
only types) so the store can move to PostgreSQL.
"""

from __future__ import annotations

V1 = (
    """
    CREATE TABLE starmap (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'draft',
        experience_level TEXT,
        stage_answers TEXT NOT NULL DEFAULT '{}',
        completed_stages TEXT NOT NULL DEFAULT '[]',
        dynamic_questions TEXT,
        dynamic_answers TEXT NOT NULL DEFAULT '{}',
        preliminary_report TEXT,
        final_report TEXT,
        final_json TEXT,
        current_step TEXT NOT NULL DEFAULT 'experience',
        session_state TEXT NOT NULL DEFAULT '{}',
        report_job_id TEXT,
        report_job_status TEXT,
        report_job_progress INTEGER NOT NULL DEFAULT 0,
        report_job_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_saved_at TEXT,
        completed_at TEXT
    )
    """,
    """
    CREATE TABLE report_job (
        id TEXT PRIMARY KEY,
        starmap_id TEXT NOT NULL REFERENCES starmap(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'queued',
        provider TEXT NOT NULL DEFAULT 'offline',
        model TEXT NOT NULL DEFAULT '',
        temperature REAL NOT NULL DEFAULT 0.4,
        max_tokens INTEGER NOT NULL DEFAULT 4096,
        prompt TEXT,
        percent INTEGER NOT NULL DEFAULT 0,
        eta REAL,
        result TEXT,
        error TEXT,
        attempt INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL DEFAULT 5,
        not_before TEXT,
        lease_owner TEXT,
        lease_expires_at TEXT,
        idempotency_key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT
    )
    """,
    """
    CREATE TABLE report_revision (
        id INTEGER PRIMARY KEY,
        starmap_id TEXT NOT NULL REFERENCES starmap(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        n INTEGER NOT NULL,
        source TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (starmap_id, kind, n)
    )
    """,
    """
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY,
        starmap_id TEXT NOT NULL REFERENCES starmap(id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX ix_report_job_starmap ON report_job (starmap_id)",
    "CREATE INDEX ix_activity_starmap ON activity (starmap_id)",
)

# Version 2: the preliminary report's JSON, the job's phase text, crash count,
# parameters and raw output, the legacy link, the indexes the dashboard and the
# runner's claim need, and one active job per step.
V2 = (
    "ALTER TABLE starmap ADD COLUMN preliminary_json TEXT",
    "ALTER TABLE starmap ADD COLUMN report_job_kind TEXT",
    "ALTER TABLE starmap ADD COLUMN report_job_phase TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE starmap ADD COLUMN legacy_summary_id TEXT",
    "ALTER TABLE report_job ADD COLUMN phase TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE report_job ADD COLUMN crash_count INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE report_job ADD COLUMN params TEXT NOT NULL DEFAULT '{}'",
    "ALTER TABLE report_job ADD COLUMN raw_output TEXT",
    "ALTER TABLE report_job ADD COLUMN updated_at TEXT",
    "CREATE INDEX ix_starmap_status_updated ON starmap (status, updated_at)",
    "CREATE INDEX ix_starmap_updated ON starmap (updated_at)",
    "CREATE INDEX ix_report_job_claim ON report_job (status, not_before)",
    """
    CREATE UNIQUE INDEX ux_report_job_active_key ON report_job (idempotency_key)
    WHERE status IN ('queued', 'running')
    """,
)

# Version 3: covering indexes for the dashboard and ``list``. Starmap rows
# carry answers and reports (tens of KB), so reading the listed columns from
# the table meant touching one scattered page per row; these indexes hold every
# listed column, in both orders the list uses, so a page of the list is read
# from the index alone.
_LISTED = (
    "title, current_step, report_job_progress, report_job_kind, "
    "report_job_status, report_job_phase, report_job_error, created_at"
)
V3 = (
    "DROP INDEX ix_starmap_status_updated",
    "DROP INDEX ix_starmap_updated",
    f"CREATE INDEX ix_starmap_by_status ON starmap (status, updated_at, id, {_LISTED})",
    f"CREATE INDEX ix_starmap_list ON starmap (updated_at, id, status, {_LISTED})",
)

# Version 4: a narrow index on status alone. The dashboard's counters group
# every starmap by status on each refresh; scanning this index instead of the
# wide listing ones cut that from about 25 ms to a few at 100,000 starmaps.
V4 = ("CREATE INDEX ix_starmap_status ON starmap (status)",)

MIGRATIONS: tuple[tuple[str, ...], ...] = (V1, V2, V3, V4)
SCHEMA_VERSION = len(MIGRATIONS)
