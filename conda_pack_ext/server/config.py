"""Server-side settings of conda-pack-ext, set in jupyter_server_config.py as
`c.CondaPackExt.<name> = ...` (ADS's own settings stay in ~/.ads_ops/config.ini)."""

from __future__ import annotations

from traitlets import Float, Int, Unicode, default, validate
from traitlets.config import Configurable

from ..jobs import default_history_path


class CondaPackExt(Configurable):
    """How the server runs conda-pack-ext jobs and where it keeps their history."""

    max_concurrent_jobs = Int(
        2,
        config=True,
        help="How many jobs (create, pack, install, publish...) run at the same time; "
        "the others wait in a queue. Builds are CPU and disk heavy: keep this small.",
    )

    ads_config_dir = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Folder holding ADS's config.ini (default: $ADS_OPS_CONFIG_DIR, else ~/.ads_ops). "
        "The settings page reads and writes this file.",
    )

    history_db = Unicode(
        config=True,
        help="SQLite file keeping the job history across restarts "
        "(default: <jupyter data dir>/conda_pack_ext/jobs.sqlite).",
    )

    history_limit = Int(
        500,
        config=True,
        help="How many finished jobs the history keeps; older ones are forgotten.",
    )

    log_lines = Int(
        5000,
        config=True,
        help="How many of each job's latest log lines are kept (in memory and in the history).",
    )

    event_interval = Float(
        0.25,
        config=True,
        help="Seconds between two live updates of the same job on the server's event bus "
        "(/api/events/subscribe); state changes are sent at once.",
    )

    persist_interval = Float(
        1.0,
        config=True,
        help="Seconds between two writes of a running job's progress to the history database.",
    )

    @default("history_db")
    def _default_history_db(self):
        return str(default_history_path())

    @validate("max_concurrent_jobs", "history_limit", "log_lines")
    def _at_least_one(self, proposal):
        if proposal["value"] < 1:
            raise ValueError(f"{proposal['trait'].name} must be at least 1")
        return proposal["value"]

    @validate("event_interval", "persist_interval")
    def _positive(self, proposal):
        if proposal["value"] <= 0:
            raise ValueError(f"{proposal['trait'].name} must be positive")
        return proposal["value"]
