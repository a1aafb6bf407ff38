"""Pieces every command shares: settings flags, JSON output, progress on stderr."""

from __future__ import annotations

import json
import sys
import time

from ..progress import Progress
from ..settings import load_settings


def add_json_flag(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def settings_from_args(args, **extra):
    """Settings with every flag the command has that names a setting."""
    names = (
        "conda_pack_folder",
        "conda_pack_os_prefix",
        "auth",
        "oci_config",
        "oci_profile",
        "os_endpoint",
        "engine",
        "container_image",
        "docker_host",
    )
    flags = {name: getattr(args, name, None) for name in names}
    flags.update(extra)
    return load_settings(ads_config_dir=getattr(args, "ads_config", None), **flags)


def emit(args, result: dict, human: str) -> None:
    """The command's answer: JSON on stdout with --json, else a human line."""
    if getattr(args, "json", False):
        json.dump(result, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        print(human)


class TerminalProgress(Progress):
    """A progress bar on a terminal, plain lines otherwise; always on stderr."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tty = sys.stderr.isatty()
        self._last_draw = 0.0
        self._last_phase = None

    def on_change(self) -> None:
        if self.phase_name != self._last_phase:
            self._end_bar()
            self._last_phase = self.phase_name
            sys.stderr.write(f"{self.phase_name}...\n")
            sys.stderr.flush()
            return
        if not self.tty or not self.total:
            return
        now = time.monotonic()
        if now - self._last_draw < 0.1 and self.done < self.total:
            return
        self._last_draw = now
        width = 30
        fraction = min(1.0, self.done / self.total) if self.total else 0
        bar = "#" * int(fraction * width)
        sys.stderr.write(
            f"\r  [{bar:<{width}}] {_amount(self.done, self.unit)}"
            f" / {_amount(self.total, self.unit)}"
        )
        sys.stderr.flush()

    def _end_bar(self) -> None:
        if self.tty and self._last_draw:
            sys.stderr.write("\n")
            self._last_draw = 0.0

    def log(self, line: str) -> None:
        self._end_bar()
        sys.stderr.write(f"  {line}\n")
        sys.stderr.flush()


def _amount(value, unit: str) -> str:
    if unit == "bytes":
        return f"{value / 1e6:.1f} MB"
    return f"{int(value)} {unit}".strip()
