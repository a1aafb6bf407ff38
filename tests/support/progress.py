"""A Progress that keeps what an operation reports, as a job's record would."""

from __future__ import annotations

from pathlib import Path

from conda_pack_ext.progress import Progress


class RecordingProgress(Progress):
    """Keeps every log line and every temporary path the operation reports."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lines: list[str] = []
        self.temp_paths: list[Path] = []

    def log(self, line: str) -> None:
        self.lines.append(line)

    def temp_path(self, path) -> None:
        self.temp_paths.append(Path(path))
