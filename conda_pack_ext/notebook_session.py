"""Inside an OCI Data Science notebook session: what the session already provides.

A session sets `NB_SESSION_OCID` (and `NB_SESSION_COMPARTMENT_OCID`, the resource
principal's `OCI_RESOURCE_PRINCIPAL_*` variables); its user is `datascience`, its packs
live in `/home/datascience/conda/<slug>/` and nb_conda_kernels shows every env there as
`Python [conda env:<slug>]`, so registering our own kernelspec would show each env twice.
The Environment Explorer lists the envs whose `<slug>/<slug>_manifest.yaml` it can read.
"""

from __future__ import annotations

import os
from pathlib import Path

SESSION_VARIABLE = "NB_SESSION_OCID"
SESSION_PACK_FOLDER = "/home/datascience/conda"


def in_notebook_session() -> bool:
    return bool(os.environ.get(SESSION_VARIABLE))


def session_compartment() -> str:
    """The session's compartment OCID, or "" outside a session."""
    return os.environ.get("NB_SESSION_COMPARTMENT_OCID", "") if in_notebook_session() else ""


def scanned_env_folders() -> list[Path]:
    """The folders whose envs the session's conda (hence nb_conda_kernels) lists: the
    session's pack folder and those of `CONDA_ENVS_PATH`."""
    extra = [p for p in os.environ.get("CONDA_ENVS_PATH", "").split(os.pathsep) if p]
    return [Path(SESSION_PACK_FOLDER), *(Path(p).expanduser().absolute() for p in extra)]


def kernels_from_session(prefix: Path) -> list[str] | None:
    """The kernel names the session itself shows for the env at `prefix` (nb_conda_kernels'
    `conda-env-<slug>-py`), or None when we must register kernels ourselves: outside a
    session, or for an env in a folder the session's conda does not scan."""
    prefix = Path(prefix).absolute()
    if not in_notebook_session() or prefix.parent not in scanned_env_folders():
        return None
    return [f"conda-env-{prefix.name}-py"]
