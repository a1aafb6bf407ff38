"""`conda-pack-ext status`."""

from ..status import status
from .common import emit, finish_command, settings_from_args


def register(subparsers) -> None:
    parser = subparsers.add_parser("status", help="show builders, pack folder and store in effect")
    finish_command(parser, run, folder=False)


def run(args) -> None:
    info = status(settings_from_args(args))
    builders = ", ".join(
        b["name"] + (f" ({b['path']})" if b.get("path") else "") for b in info["builders"]
    )
    emit(
        args,
        info,
        f"conda-pack-ext {info['version']}\n"
        f"builders:    {builders}\n"
        f"pack folder: {info['conda_pack_folder']}\n"
        f"store:       {info['store_uri']}\n"
        f"auth:        {info['auth']}\n"
        f"config:      {info['config_path']}",
    )
