"""The operations every front end runs: the CLI, the REST jobs and the panel call these.

Each operation is declared once in `table.py` (its params with type, default, help, CLI
spellings, and whether they are settings); `spec.py` says what a declaration means. An
operation's function takes `params` (the CLI's long option names with `_` for `-`, the
keys REST's `POST jobs` accepts), the Settings those params select, and a Progress, and
returns a JSON-able dict. Settings params override ADS's config file for the one call.
"""

from __future__ import annotations

import importlib
from urllib.parse import unquote, urlparse

from ..errors import InvalidInput
from ..progress import Progress
from ..safe_yaml import shorten
from ..settings import Settings, load_settings
from .spec import Operation, Param
from .table import JOB_KINDS, OPERATIONS

__all__ = [
    "JOB_KINDS",
    "OPERATIONS",
    "SETTING_PARAMS",
    "Operation",
    "Param",
    "job_slug",
    "operation",
    "run_operation",
    "settings_for",
    "validate_params",
]

# every param that names a setting, whichever operation declares it
SETTING_PARAMS = tuple(
    dict.fromkeys(p.name for op in OPERATIONS.values() for p in op.params if p.setting)
)


def operation(kind: str, *, job: bool = False) -> Operation:
    """The declaration of `kind`; with `job`, only the kinds REST jobs run."""
    found = OPERATIONS.get(kind) if isinstance(kind, str) else None
    if found is None or (job and not found.job):
        kinds = JOB_KINDS if job else tuple(OPERATIONS)
        raise InvalidInput(f"unknown kind {shorten(kind)}", f"use one of: {', '.join(kinds)}")
    return found


def settings_for(params: dict, ads_config_dir: str | None = None) -> Settings:
    flags = {name: params.get(name) for name in SETTING_PARAMS}
    return load_settings(ads_config_dir=ads_config_dir, **flags)


def validate_params(kind: str, params: dict) -> None:
    """Refuse what a REST job must not run: an unknown kind, unknown params, values of
    the wrong type or length, missing or conflicting params (from the declarations)."""
    operation(kind, job=True).validate(params)


def job_slug(kind: str, params: dict) -> str | None:
    """The slug a job works on, known before it runs (for the one-job-per-slug rule)."""
    if params.get("slug"):
        return str(params["slug"])
    if kind == "publish" and params.get("from_service"):
        return str(params["from_service"])  # a copy keeps the service pack's slug
    if kind == "install" and params.get("conda_uri"):
        # a pack's object or file name is its slug (ADS's layout), maybe with .tar.gz
        from ..install import slug_from_filename

        uri = str(params["conda_uri"])
        name = unquote(urlparse(uri).path or uri).rstrip("/").rsplit("/", 1)[-1]
        return slug_from_filename(name) if name else None
    if kind in ("create", "publish") and params.get("environment_file"):
        from ..envfile import load_env_file, resolve_identity

        env = load_env_file(params["environment_file"])
        return resolve_identity(
            env, params.get("name"), params.get("version"), params.get("default_version")
        ).slug
    return None


def resolve(kind: str):
    module_name, function_name = operation(kind).run.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def run_operation(
    kind: str,
    params: dict,
    progress: Progress | None = None,
    ads_config_dir: str | None = None,
) -> dict:
    """Check params against the declaration, load settings, and run one operation to its
    end. (REST jobs are checked more strictly first: validate_params.)"""
    operation(kind).validate(params, rest=False)
    settings = settings_for(params, ads_config_dir)
    return resolve(kind)(params, settings, progress or Progress())
