"""The Jupyter server extension: thin REST handlers under /conda-pack-ext/ over the core."""

from .handlers import setup_handlers


def _load_jupyter_server_extension(server_app):
    setup_handlers(server_app)
    server_app.log.info("conda-pack-ext: routes registered under /conda-pack-ext/")


# Older name some launchers still look for.
load_jupyter_server_extension = _load_jupyter_server_extension
