"""Job histories as a server that died mid-job leaves them: records of running jobs."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from conda_pack_ext.jobs import HISTORY_TABLE


def running_job_record(job_id: str, kind: str, params: dict, slug: str, **fields) -> dict:
    """The record of a job that was running (and had logged two lines) when its server died."""
    now = time.time()
    record = {
        "id": job_id,
        "kind": kind,
        "params": params,
        "slug": slug,
        "state": "running",
        "phase": "linking",
        "log": ["solving", "linking"],
        "log_total": 2,
        "created": now - 60,
        "started": now - 59,
        "temp_paths": [],
    }
    record.update(fields)
    return record


def write_history(db_path: Path, *records: dict) -> None:
    """Add job records to a history database (made if missing), as JobManager stores them."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db_path) as db:
        db.execute(HISTORY_TABLE)
        db.executemany(
            "INSERT INTO jobs (id, created, state, record) VALUES (?, ?, ?, ?)",
            [(r["id"], r["created"], r["state"], json.dumps(r)) for r in records],
        )
