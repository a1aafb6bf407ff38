"""Job parameters checked before a job is queued, and the slug a job works on."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from ..envfile import load_env_file, resolve_identity
from ..errors import InvalidInput
from ..safe_yaml import shorten
from .model import JOB_KINDS_WITH_ENV_FILE

# The type of each param whose value is not a string.
FLAG_PARAMS = frozenset({"gpu", "overwrite", "no_kernel", "service", "force", "dry_run"})
INTEGER_PARAMS = frozenset({"compress_level"})


def check_param_types(params: dict) -> None:
    """Flags are booleans, counts integers, everything else text: refuse other types."""
    for name, value in params.items():
        if value is None:
            continue
        if name in FLAG_PARAMS:
            expected, ok = "true or false", isinstance(value, bool)
        elif name in INTEGER_PARAMS:
            expected = "an integer"
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            expected, ok = "a string", isinstance(value, str)
        if not ok:
            raise InvalidInput(f"parameter {name} must be {expected}, got {shorten(value)}")


def job_slug(kind: str, params: dict) -> str | None:
    """The slug a job works on, known before it runs (for the one-job-per-slug rule)."""
    if params.get("slug"):
        return str(params["slug"])
    if kind == "install" and params.get("conda_uri"):
        # a pack's object or file name is its slug (ADS's layout), maybe with .tar.gz
        from ..install import slug_from_filename

        uri = str(params["conda_uri"])
        name = unquote(urlparse(uri).path or uri).rstrip("/").rsplit("/", 1)[-1]
        return slug_from_filename(name) if name else None
    if kind in JOB_KINDS_WITH_ENV_FILE and params.get("environment_file"):
        env = load_env_file(params["environment_file"])
        identity = resolve_identity(
            env, params.get("name"), params.get("version"), params.get("default_version")
        )
        return identity.slug
    return None
