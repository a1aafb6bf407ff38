"""conda-pack-ext: build, pack, publish and install conda packs from JupyterLab."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "conda-pack-ext"}]


def _jupyter_server_extension_points():
    # The server part lives in its own subpackage so that the core never imports jupyter_server.
    # The app (imported only here) lets the server stop the job runner when it shuts down.
    from .server import CondaPackExtApp

    return [{"module": "conda_pack_ext.server", "app": CondaPackExtApp}]
