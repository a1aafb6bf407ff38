"""Settings in effect, in ADS's order: flags, else `~/.ads_ops/ml_job_config.ini` [profile]
(its conda_pack_os_prefix), else `~/.ads_ops/config.ini`, else ADS's defaults.

ADS's files are read and written by ads_config.py, so that ADS keeps reading them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir

from . import ads_config
from .ads_config import CONFIG_KEYS  # noqa: F401  (the settings config.ini may hold)
from .errors import InvalidInput
from .notebook_session import SESSION_PACK_FOLDER, in_notebook_session

AUTH_MODES = ("api_key", "resource_principal", "instance_principal", "security_token")
ENGINES = ("auto", "rattler", "conda", "mamba", "micromamba", "container")
# ADS switches to resource principals inside these OCI services.
OCI_RUNTIME_VARIABLES = ("JOB_RUN_OCID", "NB_SESSION_OCID", "DATAFLOW_RUN_ID", "PIPELINE_RUN_OCID")


def default_ads_config_dir() -> Path:
    return Path(os.environ.get("ADS_OPS_CONFIG_DIR", "~/.ads_ops")).expanduser()


def default_store_uri() -> str:
    """The embedded local folder store, used when no Object Storage prefix is configured."""
    return (Path(jupyter_data_dir()) / "conda_pack_ext" / "store").as_uri()


def default_pack_folder() -> str:
    """ADS's default, or the notebook session's own folder inside an OCI notebook session."""
    return SESSION_PACK_FOLDER if in_notebook_session() else "~/conda"


def default_auth() -> str:
    if any(os.environ.get(name) for name in OCI_RUNTIME_VARIABLES):
        return "resource_principal"
    return "api_key"


@dataclass
class Settings:
    conda_pack_folder: str = field(default_factory=lambda: default_pack_folder())
    conda_pack_os_prefix: str = ""
    auth: str = ""
    oci_config: str = "~/.oci/config"
    oci_profile: str = "DEFAULT"
    os_endpoint: str = ""
    engine: str = "auto"
    part_size_mb: int = 16
    parallelism: int = 8
    container_image: str = ""
    docker_host: str = ""
    # where Oracle's service pack index is; empty: the region's (service_packs.py)
    service_index: str = ""
    # 0: 20 times the pack's compressed size, at least 1 GiB (extract_rules.default_limit)
    max_unpacked_size_gb: float = 0.0
    ads_config_dir: str = field(default_factory=lambda: str(default_ads_config_dir()))
    # where each value came from: "flag", "ml_job_config", "config" or "default"
    sources: dict = field(default_factory=dict, repr=False)

    @property
    def pack_folder(self) -> Path:
        return Path(self.conda_pack_folder).expanduser().absolute()

    @property
    def store_uri(self) -> str:
        return self.conda_pack_os_prefix or default_store_uri()

    @property
    def auth_mode(self) -> str:
        return self.auth or default_auth()

    @property
    def config_path(self) -> Path:
        return Path(self.ads_config_dir).expanduser() / "config.ini"

    def public(self) -> dict:
        """The settings as shown to users: no secrets are held here, paths only."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sources"}
        data.update(
            conda_pack_folder=str(self.pack_folder),
            conda_pack_os_prefix=self.store_uri,
            auth=self.auth_mode,
            config_path=str(self.config_path),
            sources=dict(self.sources),
        )
        return data

    def validate(self) -> None:
        if self.auth and self.auth not in AUTH_MODES:
            raise InvalidInput(
                f"unknown auth mode {self.auth!r}", f"use one of: {', '.join(AUTH_MODES)}"
            )
        if self.engine not in ENGINES:
            raise InvalidInput(
                f"unknown engine {self.engine!r}", f"use one of: {', '.join(ENGINES)}"
            )
        if self.conda_pack_os_prefix and not self.conda_pack_os_prefix.startswith(
            ("oci://", "file://")
        ):
            raise InvalidInput(
                f"bad store prefix {self.conda_pack_os_prefix!r}",
                "use oci://bucket@namespace/prefix or file:///absolute/folder",
            )
        for name in ("part_size_mb", "parallelism"):
            if int(getattr(self, name)) < 1:
                raise InvalidInput(f"{name} must be a positive integer")
        if not 0 <= self.max_unpacked_size_gb < float("inf"):
            raise InvalidInput("max_unpacked_size_gb must be a positive number (0: automatic)")


def _coerce(name: str, value, where: str = ""):
    kind = type(getattr(Settings, name, ""))
    if kind in (int, float):
        try:
            return kind(value)
        except (TypeError, ValueError):
            expected = "an integer" if kind is int else "a number"
            if where:
                raise InvalidInput(
                    f"{name} must be {expected}, got {value!r} ({where})",
                    "ConfigParser keeps a comment on the same line in the value: "
                    "put comments on lines of their own",
                ) from None
            raise InvalidInput(f"{name} must be {expected}, got {value!r}") from None
    return str(value)


def read_config(config_dir: str | os.PathLike | None = None) -> dict:
    """The values set in ADS's config.ini, by setting name."""
    found = ads_config.read_config(config_dir or default_ads_config_dir())
    return {name: _coerce(name, value, where) for name, (value, where) in found.items()}


def load_settings(ads_config_dir: str | None = None, **flags) -> Settings:
    """Settings from flags (None means unset), else ml_job_config.ini's profile (its
    conda_pack_os_prefix), else config.ini, else defaults: ADS's precedence."""
    settings = Settings()
    if ads_config_dir:
        settings.ads_config_dir = str(ads_config_dir)
    config = read_config(settings.ads_config_dir)
    for f in fields(Settings):
        if f.name in ("sources", "ads_config_dir"):
            continue
        if flags.get(f.name) not in (None, ""):
            setattr(settings, f.name, _coerce(f.name, flags[f.name]))
            settings.sources[f.name] = "flag"
        elif f.name in config:
            setattr(settings, f.name, config[f.name])
            settings.sources[f.name] = "config"
        else:
            settings.sources[f.name] = "default"
    jobs = ads_config.read_jobs_config(
        settings.ads_config_dir, settings.auth_mode, settings.oci_profile
    )
    for name, (value, _where) in jobs.items():
        if settings.sources[name] != "flag":
            setattr(settings, name, value)
            settings.sources[name] = "ml_job_config"
    settings.validate()
    return settings


def write_config(values: dict, ads_config_dir: str | None = None) -> Path:
    """Write settings into ADS's config.ini, keeping keys we do not know and leaving a file
    ADS reads (ads_config.write_config)."""
    unknown = set(values) - set(CONFIG_KEYS)
    if unknown:
        raise InvalidInput(f"unknown setting(s): {', '.join(sorted(unknown))}")
    candidate = Settings(**{k: _coerce(k, v) for k, v in values.items() if v is not None})
    candidate.validate()
    return ads_config.write_config(values, ads_config_dir or default_ads_config_dir())
