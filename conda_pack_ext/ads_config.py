"""ADS's configuration files in `~/.ads_ops`, read and written so that ADS keeps working.

- `config.ini`: ADS reads `[OCI]` (oci_config, oci_profile, auth) and `[CONDA]`
  (conda_pack_folder, conda_pack_os_prefix) and crashes when either section is missing, so
  every write leaves both sections (a key left out is ADS's default, which is ours too). `ads opctl configure` rewrites
  `[OCI]` wholesale and keeps other sections, so our own keys live in `[CONDA_PACK_EXT]`;
  earlier versions kept some in `[OCI]` and `[CONDA]`, where they are still read (and
  moved on the next write).
- `ml_job_config.ini`: per profile (`[<oci_profile>]`, `[RESOURCE_PRINCIPAL]`,
  `[INSTANCE_PRINCIPAL]`, else `[DEFAULT]`); its `conda_pack_os_prefix` overrides
  config.ini's, as in ADS. ADS's conda commands use no other key of it.

ADS reads these files with ConfigParser's default interpolation: `%%` in the file is one
`%`. We write `%` as `%%`, and read a value as ADS does when ADS can, else as written (a lone
`%` that ADS would refuse is kept as it is rather than breaking every command).
"""

from __future__ import annotations

import configparser
import os
import tempfile
from pathlib import Path

from .errors import InvalidInput

CONFIG_FILE = "config.ini"
JOBS_CONFIG_FILE = "ml_job_config.ini"
OUR_SECTION = "CONDA_PACK_EXT"

# setting name -> (config section, config key); ADS reads the first five
ADS_KEYS = {
    "oci_config": ("OCI", "oci_config"),
    "oci_profile": ("OCI", "oci_profile"),
    "auth": ("OCI", "auth"),
    "conda_pack_folder": ("CONDA", "conda_pack_folder"),
    "conda_pack_os_prefix": ("CONDA", "conda_pack_os_prefix"),
}
OUR_KEYS = (
    "os_endpoint",
    "max_unpacked_size_gb",
    "part_size_mb",
    "parallelism",
    "engine",
    "container_image",
    "docker_host",
)
CONFIG_KEYS = {
    **ADS_KEYS,
    **{name: (OUR_SECTION, name) for name in OUR_KEYS},
    # beside ADS's conda keys, where ADS's configure keeps it (it rewrites only [OCI])
    "service_index": ("CONDA", "service_index"),
}
# where earlier versions kept our keys (still read; moved to OUR_SECTION on the next write)
EARLIER_SECTIONS = {
    "max_unpacked_size_gb": "CONDA",
    "os_endpoint": "OCI",
    "part_size_mb": "OCI",
    "parallelism": "OCI",
    "engine": "CONDA",
    "container_image": "CONDA",
    "docker_host": "CONDA",
}
# ml_job_config.ini keys that ADS's conda commands take over config.ini's
JOBS_CONFIG_KEYS = ("conda_pack_os_prefix",)
PRINCIPAL_PROFILES = {
    "resource_principal": "RESOURCE_PRINCIPAL",
    "instance_principal": "INSTANCE_PRINCIPAL",
}


def config_file(config_dir: str | os.PathLike, name: str = CONFIG_FILE) -> Path:
    return Path(config_dir).expanduser() / name


def _new_parser() -> configparser.ConfigParser:
    """A parser like ADS's (`DEFAULT` is an ordinary section, keys keep their case), without
    interpolation: values are unescaped by `_value`."""
    parser = configparser.ConfigParser(default_section=None, interpolation=None)
    parser.optionxform = str
    return parser


def _read(path: Path) -> configparser.ConfigParser:
    parser = _new_parser()
    if path.exists():
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as error:
            raise InvalidInput(f"cannot read {path}: {error}", "fix or delete the file") from None
    return parser


def _value(parser: configparser.ConfigParser, section: str, key: str) -> str | None:
    """The value as ADS reads it (`%%` is `%`), or as written when ADS could not read it."""
    raw = parser.get(section, key, fallback=None)
    if raw is None:
        return None
    try:
        value = configparser.BasicInterpolation().before_get(
            parser, section, key, raw, dict(parser.items(section))
        )
    except (configparser.InterpolationError, ValueError):
        value = raw
    return value.strip()


def _escape(value) -> str:
    return str(value).replace("%", "%%")


def line_of(path: Path, section: str, key: str) -> str:
    """`path:N` for the line that sets `key` in `[section]` (for error messages)."""
    current = None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return str(path)
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
        elif current == section and stripped.split("=", 1)[0].split(":", 1)[0].strip() == key:
            return f"{path}:{number}"
    return str(path)


def read_config(config_dir: str | os.PathLike) -> dict[str, tuple[str, str]]:
    """The values set in config.ini, by setting name: (value, where it was set)."""
    path = config_file(config_dir)
    parser = _read(path)
    values = {}
    for name, (section, key) in CONFIG_KEYS.items():
        places = [section] + ([EARLIER_SECTIONS[name]] if name in EARLIER_SECTIONS else [])
        for place in places:
            if parser.has_option(place, key):
                value = _value(parser, place, key)
                if value:
                    values[name] = (value, f"{line_of(path, place, key)} [{place}] {key}")
                break
    return values


def read_jobs_config(config_dir: str | os.PathLike, auth: str, oci_profile: str) -> dict:
    """The ml_job_config.ini values ADS's conda commands use, for this auth and profile:
    by setting name, (value, where it was set)."""
    path = config_file(config_dir, JOBS_CONFIG_FILE)
    parser = _read(path)
    profile = PRINCIPAL_PROFILES.get(auth, oci_profile)
    section = profile if parser.has_section(profile) else "DEFAULT"
    values = {}
    for key in JOBS_CONFIG_KEYS:
        if parser.has_section(section) and parser.has_option(section, key):
            value = _value(parser, section, key)
            if value:
                values[key] = (value, f"{line_of(path, section, key)} [{section}] {key}")
    return values


def write_config(values: dict, config_dir: str | os.PathLike) -> Path:
    """Set settings (by name; None or "" clears one) in config.ini, keeping every other key
    and section, and leaving a file ADS can read; atomic replace."""
    path = config_file(config_dir)
    parser = _read(path)
    for name, value in values.items():
        section, key = CONFIG_KEYS[name]
        if not parser.has_section(section):
            parser.add_section(section)
        if value is None or value == "":
            parser.remove_option(section, key)
        else:
            parser.set(section, key, _escape(value))
    for name, earlier in EARLIER_SECTIONS.items():  # move keys earlier versions wrote
        if parser.has_option(earlier, name):
            moved = parser.get(earlier, name)
            parser.remove_option(earlier, name)
            if name not in values and not parser.has_option(OUR_SECTION, name):
                if not parser.has_section(OUR_SECTION):
                    parser.add_section(OUR_SECTION)
                parser.set(OUR_SECTION, name, moved)
    for section in ("OCI", "CONDA"):  # ADS reads a missing key as its default, not a section
        if not parser.has_section(section):
            parser.add_section(section)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8"
    ) as out:
        parser.write(out)
    os.replace(out.name, path)
    return path
