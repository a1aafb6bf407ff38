"""Running the `conda-pack-ext` command in-process, as a user would from a shell."""

from __future__ import annotations

import json

from conda_pack_ext.cli import main


def cli_run(capsys, *argv) -> tuple[dict | list, str]:
    """Run a command with --json that must succeed: (its JSON answer, what it said on stderr)."""
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out), captured.err


def cli_json(capsys, *argv) -> dict | list:
    """The JSON answer of a command that must succeed."""
    return cli_run(capsys, *argv)[0]


def cli_error(capsys, *argv) -> str:
    """What a command that must fail (exit code 1) said on stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    assert code == 1, captured.out
    return captured.err
