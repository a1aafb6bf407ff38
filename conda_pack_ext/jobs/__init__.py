"""Background jobs: the runner (runner.py), what a job is (model.py), its history in
SQLite (history.py) and the clean-up after jobs a dead server left (recovery.py)."""

from .history import HISTORY_TABLE, default_history_path
from .model import ACTIVE_STATES, JOB_STATES, Job, JobProgress
from .runner import JobManager

__all__ = [
    "ACTIVE_STATES",
    "HISTORY_TABLE",
    "JOB_STATES",
    "Job",
    "JobManager",
    "JobProgress",
    "default_history_path",
]
