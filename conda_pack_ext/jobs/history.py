"""The job history: one SQLite table, a job per row, its record as JSON (Job.to_record)."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir

from ..private_files import create_private
from .model import Job

log = logging.getLogger(__name__)

HISTORY_TABLE = (
    "CREATE TABLE IF NOT EXISTS jobs"
    " (id TEXT PRIMARY KEY, created REAL NOT NULL, state TEXT NOT NULL, record TEXT)"
)


def default_history_path() -> Path:
    """Where the job history lives: `<jupyter data dir>/conda_pack_ext/jobs.sqlite`."""
    return Path(jupyter_data_dir()) / "conda_pack_ext" / "jobs.sqlite"


def connect(db_path: str | os.PathLike) -> sqlite3.Connection:
    """Open the history database, made private to the user first (job params and logs);
    SQLite gives its journal the database's mode."""
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    create_private(db_path)
    db = sqlite3.connect(db_path, timeout=10)
    db.execute(HISTORY_TABLE)
    db.commit()
    return db


def load_jobs(
    db_path: Path, *, limit: int, log_limit: int, recover: Callable[[Job], None]
) -> list[Job]:
    """The newest `limit` jobs (older rows are deleted). Those still active (the last
    server stopped while they ran) go through `recover` and are written back."""
    db = connect(db_path)
    jobs = []
    try:
        rows = db.execute(
            "SELECT record FROM jobs ORDER BY created DESC LIMIT ?", (limit,)
        ).fetchall()
        db.execute(
            "DELETE FROM jobs WHERE id NOT IN (SELECT id FROM jobs ORDER BY created DESC LIMIT ?)",
            (limit,),
        )
        for (text,) in rows:
            try:
                job = Job.from_record(json.loads(text), log_limit)
            except (ValueError, TypeError):
                continue
            if job.active:
                recover(job)
                db.execute(
                    "UPDATE jobs SET state = ?, record = ? WHERE id = ?",
                    (job.state, json.dumps(job.to_record(), default=str), job.id),
                )
            jobs.append(job)
        db.commit()
    finally:
        db.close()
    return jobs


def history_row(job: Job) -> tuple:
    """The row that keeps a job (taken under the manager's lock: a consistent record)."""
    return job.id, job.created, job.state, json.dumps(job.to_record(), default=str)


def write_jobs(db: sqlite3.Connection, rows: list[tuple], forget: set[str]) -> None:
    """Write changed jobs' rows and delete forgotten ones; a failure is logged, not raised
    (the jobs go on; the next write tries again)."""
    if not rows and not forget:
        return
    try:
        db.executemany(
            "INSERT OR REPLACE INTO jobs (id, created, state, record) VALUES (?, ?, ?, ?)", rows
        )
        db.executemany("DELETE FROM jobs WHERE id = ?", [(i,) for i in forget])
        db.commit()
    except sqlite3.Error:
        log.exception("conda-pack-ext: writing the job history failed")
