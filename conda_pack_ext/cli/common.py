"""Pieces every command shares: the flags every verb has (--json, --ads-config, --debug),
running an operation with progress on stderr and Ctrl-C as cancel, JSON output."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time

from ..operations import SETTING_PARAMS, Operation, run_operation
from ..progress import Progress
from ..settings import load_settings

DEBUG_FLAGS = ("-d", "--debug")


def add_json_flag(parser) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object on stdout (an error too: {"error": {code, message, '
        "hint}}); progress stays on stderr",
    )


def add_debug_flag(parser) -> None:
    """`-d/--debug`: show the traceback of an unexpected error on stderr."""
    parser.add_argument(
        *DEBUG_FLAGS,
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an unexpected error (on stderr)",
    )


def add_ads_flags(parser) -> None:
    """ADS's `--ads-config` after the verb, as ADS takes it (before it works too)."""
    parser.add_argument(
        "--ads-config",
        metavar="DIR",
        default=argparse.SUPPRESS,  # keep a value given before the verb
        help="folder holding ADS's config.ini (default ~/.ads_ops)",
    )


def settings_from_args(args, **extra):
    """Settings with every flag the command has that names a setting."""
    flags = {name: getattr(args, name, None) for name in SETTING_PARAMS}
    flags.update(extra)
    return load_settings(ads_config_dir=getattr(args, "ads_config", None), **flags)


def params_from_args(args, operation: Operation) -> dict:
    """The operation's params from the flags that were given (unset flags are left out;
    0 is a real value: --compress-level 0), with the values the command line passes for
    params it has no flag for (ADS's default version)."""
    params = {}
    for param in operation.params:
        value = getattr(args, param.name, None) if param.cli else param.cli_value
        if value is not None and value is not False and value != "":
            params[param.name] = value
    return params


def run_command(args) -> None:
    """Run the command's operation (progress on stderr) and show its answer."""
    from .show import SHOW

    operation = args.operation
    result = run_cli_operation(operation.name, params_from_args(args, operation), args)
    SHOW[operation.name](args, result)


def run_cli_operation(kind: str, params: dict, args) -> dict:
    """Run one operation with progress on stderr; the first Ctrl-C cancels it cleanly."""
    progress = TerminalProgress()
    with _cancel_on_interrupt(progress):
        return run_operation(kind, params, progress, ads_config_dir=args.ads_config)


@contextlib.contextmanager
def _cancel_on_interrupt(progress: Progress):
    """First Ctrl-C cancels the operation cleanly (it removes what it made); a second one
    interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum, frame):
        if progress.cancel_event.is_set():
            raise KeyboardInterrupt
        progress.cancel_event.set()
        print("\ncancelling... (Ctrl-C again to stop at once)", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
