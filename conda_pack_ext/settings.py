"""Settings in effect: flags, else `~/.ads_ops/config.ini` (ADS's file), else ADS's defaults.

ADS's keys are kept as ADS writes them; ours sit beside them in the same sections so that
ADS, which ignores unknown keys, keeps reading the file.
"""

from __future__ import annotations

import configparser
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from jupyter_core.paths import jupyter_data_dir

from .errors import InvalidInput

AUTH_MODES = ("api_key", "resource_principal", "instance_principal", "security_token")
ENGINES = ("auto", "rattler", "conda", "mamba", "micromamba", "container")
# ADS switches to resource principals inside these OCI services.
OCI_RUNTIME_VARIABLES = ("JOB_RUN_OCID", "NB_SESSION_OCID", "DATAFLOW_RUN_ID", "PIPELINE_RUN_OCID")

# setting name -> (config section, config key)
CONFIG_KEYS = {
    "oci_config": ("OCI", "oci_config"),
    "oci_profile": ("OCI", "oci_profile"),
    "auth": ("OCI", "auth"),
    "os_endpoint": ("OCI", "os_endpoint"),
    "part_size_mb": ("OCI", "part_size_mb"),
    "parallelism": ("OCI", "parallelism"),
    "conda_pack_folder": ("CONDA", "conda_pack_folder"),
    "conda_pack_os_prefix": ("CONDA", "conda_pack_os_prefix"),
    "engine": ("CONDA", "engine"),
    "container_image": ("CONDA", "container_image"),
    "docker_host": ("CONDA", "docker_host"),
    "max_unpacked_size_gb": ("CONDA", "max_unpacked_size_gb"),
}


def default_ads_config_dir() -> Path:
    return Path(os.environ.get("ADS_OPS_CONFIG_DIR", "~/.ads_ops")).expanduser()


def default_store_uri() -> str:
    """The embedded local folder store, used when no Object Storage prefix is configured."""
    return (Path(jupyter_data_dir()) / "conda_pack_ext" / "store").as_uri()


def default_auth() -> str:
    if any(os.environ.get(name) for name in OCI_RUNTIME_VARIABLES):
        return "resource_principal"
    return "api_key"


@dataclass
class Settings:
    conda_pack_folder: str = "~/conda"
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
    # 0: 20 times the pack's compressed size, at least 1 GiB (extract_rules.default_limit)
    max_unpacked_size_gb: float = 0.0
    ads_config_dir: str = field(default_factory=lambda: str(default_ads_config_dir()))
    # where each value came from: "flag", "config" or "default"
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


def _coerce(name: str, value):
    kind = type(getattr(Settings, name, ""))
    if kind in (int, float):
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"{name} must be a number, got {value!r}") from None
    return str(value)


def read_config(config_dir: str | os.PathLike | None = None) -> dict:
    """The values set in ADS's config.ini, by setting name."""
    path = Path(config_dir or default_ads_config_dir()).expanduser() / "config.ini"
    parser = configparser.ConfigParser()
    if path.exists():
        try:
            parser.read(path)
        except configparser.Error as error:
            raise InvalidInput(f"cannot read {path}: {error}", "fix or delete the file") from None
    values = {}
    for name, (section, key) in CONFIG_KEYS.items():
        if parser.has_option(section, key) and parser.get(section, key).strip():
            values[name] = _coerce(name, parser.get(section, key).strip())
    return values


def load_settings(ads_config_dir: str | None = None, **flags) -> Settings:
    """Settings from flags (None means unset), else the config file, else defaults."""
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
    settings.validate()
    return settings


def write_config(values: dict, ads_config_dir: str | None = None) -> Path:
    """Write settings into ADS's config.ini, keeping keys we do not know; atomic replace."""
    unknown = set(values) - set(CONFIG_KEYS)
    if unknown:
        raise InvalidInput(f"unknown setting(s): {', '.join(sorted(unknown))}")
    candidate = Settings(**{k: _coerce(k, v) for k, v in values.items() if v is not None})
    candidate.validate()
    path = Path(ads_config_dir or default_ads_config_dir()).expanduser() / "config.ini"
    parser = configparser.ConfigParser()
    if path.exists():
        parser.read(path)
    for name, value in values.items():
        section, key = CONFIG_KEYS[name]
        if not parser.has_section(section):
            parser.add_section(section)
        if value is None or value == "":
            parser.remove_option(section, key)
        else:
            parser.set(section, key, str(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as out:
        parser.write(out)
    os.replace(out.name, path)
    return path
