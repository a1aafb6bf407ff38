"""Jupyter server configuration for the browser tests.

Galata's test set-up, with token authentication kept on, and every folder the extension
reads or writes (pack folder, store, ADS config, Jupyter data, settings, workspaces) in
one temporary folder that is removed when the server stops: the tests never touch the
user's files.
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

from conda_pack_ext.settings import write_config

root = Path(tempfile.mkdtemp(prefix="conda-pack-ext-ui-"))
atexit.register(shutil.rmtree, root, ignore_errors=True)

# Galata's set-up makes temporary folders and files (notebooks, workspaces, a shell rc
# file): make them inside `root` so that they go away with it.
tempfile.tempdir = str(root)
try:
    configure_jupyter_server(c)  # noqa: F821 (`c` is given by Jupyter's config loader)
finally:
    tempfile.tempdir = None

# Galata turns authentication off; keep it on with the token playwright.config.js made.
c.IdentityProvider.token = os.environ["CONDA_PACK_EXT_UI_TOKEN"]  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.port = int(os.environ.get("CONDA_PACK_EXT_UI_PORT", "8898"))  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821

c.LabApp.user_settings_dir = str(root / "user-settings")  # noqa: F821

os.environ["JUPYTER_DATA_DIR"] = str(root / "jupyter-data")
os.environ["ADS_OPS_CONFIG_DIR"] = str(root / "ads_ops")
settings = {
    "conda_pack_folder": str(root / "packs"),
    "conda_pack_os_prefix": (root / "store").as_uri(),
    "engine": "rattler",
}
# Oracle's service packs, from the suite's Object Storage server; the smoke test against
# another JupyterLab (make lab40-smoke) runs in a venv without the test suite's packages
if not os.environ.get("CONDA_PACK_EXT_UI_SMOKE"):
    sys.path.insert(0, os.path.dirname(__file__))
    from service_bucket import start_service_bucket

    settings.update(start_service_bucket(Path(os.environ["CONDA_PACK_EXT_CHANNEL"]), root))
write_config(settings, ads_config_dir=str(root / "ads_ops"))
