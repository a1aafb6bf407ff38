"""The Jupyter server extension: thin REST handlers under /conda-pack-ext/ over the core,
a JobManager running operations in the background, and job updates on the event bus."""

from __future__ import annotations

import threading
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp

from ..jobs import JobManager
from .config import CondaPackExt
from .handlers import setup_handlers

JOB_EVENT_SCHEMA_ID = "https://events.jupyter.org/conda_pack_ext/job/v1"
JOB_EVENT_SCHEMA_PATH = Path(__file__).parent.parent / "events" / "job.yaml"


class CondaPackExtApp(ExtensionApp):
    """Loads the routes, owns the JobManager, and stops it with the server."""

    name = "conda_pack_ext"
    load_other_extensions = True
    classes = [CondaPackExt]

    def initialize_settings(self):
        config = CondaPackExt(parent=self)
        self.job_manager = start_job_manager(self.serverapp, config)
        threading.Thread(
            target=self.clean_pack_folder,
            args=(config.ads_config_dir,),
            name="conda-pack-ext-clean",
            daemon=True,
        ).start()
        self.settings.update(
            conda_pack_ext_config=config,
            conda_pack_ext_ads_config_dir=config.ads_config_dir,
            conda_pack_ext_jobs=self.job_manager,
        )

    def clean_pack_folder(self, ads_config_dir: str | None) -> None:
        """Clean up the configured pack folder after installs a crash interrupted (in a
        thread: the server starts meanwhile)."""
        from ..cleanup import clean_pack_folder
        from ..settings import load_settings

        try:
            pack_settings = load_settings(ads_config_dir=ads_config_dir)
            result = clean_pack_folder(pack_settings)
        except Exception as error:  # a bad config.ini or folder must not stop the server
            self.log.warning("conda-pack-ext: no clean-up of the pack folder: %s", error)
            return
        if result["leftovers"] or result["stale_kernels"]:
            self.log.info("conda-pack-ext: cleaned up %s", result)

    def initialize_handlers(self):
        setup_handlers(self.serverapp)
        self.log.info("conda-pack-ext: routes registered under /conda-pack-ext/")

    def current_activity(self):
        """Running jobs count as activity, so an idle-culler does not stop the server."""
        return bool(self.job_manager.running()) or None

    async def stop_extension(self):
        """Active jobs are cancelled (their work undone) and recorded as interrupted."""
        manager = getattr(self, "job_manager", None)
        if manager is not None:
            await self.serverapp.io_loop.run_in_executor(None, manager.shutdown)


def start_job_manager(server_app, config: CondaPackExt) -> JobManager:
    """A JobManager whose live updates go out on the server's event bus."""
    event_logger = server_app.event_logger
    if JOB_EVENT_SCHEMA_ID not in event_logger.schemas:
        event_logger.register_event_schema(JOB_EVENT_SCHEMA_PATH)
    io_loop = server_app.io_loop

    def send_event(data: dict) -> None:
        # Called from the jobs' threads; jupyter_events schedules listeners on the loop.
        io_loop.add_callback(event_logger.emit, schema_id=JOB_EVENT_SCHEMA_ID, data=data)

    return JobManager(
        config.history_db,
        max_concurrent_jobs=config.max_concurrent_jobs,
        ads_config_dir=config.ads_config_dir,
        on_event=send_event,
        event_interval=config.event_interval,
        persist_interval=config.persist_interval,
        log_limit=config.log_lines,
        history_limit=config.history_limit,
    )


def _load_jupyter_server_extension(server_app):
    """For launchers that load the module directly rather than through the app."""
    return CondaPackExtApp._load_jupyter_server_extension(server_app)


# Older name some launchers still look for.
load_jupyter_server_extension = _load_jupyter_server_extension
