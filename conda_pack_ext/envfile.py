"""Environment files (conda's environment.yaml plus ADS's `manifest:` section) and the
name / version / slug rules ADS uses, so that packs move freely between ADS, odsc and us."""

from __future__ import annotations

import datetime
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .errors import InvalidInput, NotFound
from .safe_yaml import load_yaml, read_yaml_file, shorten

DEFAULT_VERSION = "1.0"  # odsc's default, proposed by the panel
ADS_CLI_DEFAULT_VERSION = "1"  # ADS's command line default, which ours follows
# ADS refuses these in a slug; path separators and dot-names are refused for safety.
FORBIDDEN_SLUG_CHARACTERS = "@#$%^&*/\\"
MAX_SLUG_BYTES = 200  # leaves room for "<slug>_manifest.yaml" and ".<slug>.previous"


@dataclass
class EnvFile:
    """An environment file's content, validated; `base_dir` anchors its relative paths."""

    data: dict
    base_dir: Path
    path: Path | None = None

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "the environment"

    @property
    def channels(self) -> list[str]:
        return list(self.data.get("channels") or [])

    @property
    def conda_specs(self) -> list[str]:
        """The conda dependencies, as written."""
        return [d for d in self.data.get("dependencies") or [] if isinstance(d, str)]

    @property
    def pip_requirements(self) -> list[str]:
        """The lines of the `pip:` section, as written."""
        lines: list[str] = []
        for item in self.data.get("dependencies") or []:
            if isinstance(item, dict):
                lines.extend(item.get("pip") or [])
        return lines

    @property
    def variables(self) -> dict[str, str]:
        return {str(k): _scalar_text(v) for k, v in (self.data.get("variables") or {}).items()}

    @property
    def manifest(self) -> dict:
        return dict(self.data.get("manifest") or {})

    def requests(self, package: str) -> bool:
        """Whether the file asks for `package` among its conda or pip dependencies."""
        wanted = normalize_name(package)
        names = [spec_name(s) for s in self.conda_specs]
        names += [pip_requirement_name(line) for line in self.pip_requirements]
        return wanted in names

    def resolved_pip_lines(self) -> list[str]:
        """The pip lines with file arguments made absolute against `base_dir`, so that pip
        finds them whatever its working folder (conda runs pip beside a temporary file)."""
        return [_absolute_pip_line(line, self.base_dir) for line in self.pip_requirements]


class Identity(NamedTuple):
    """What an environment is called: its name, version and slug."""

    name: str
    version: str
    slug: str


def load_env_file(path: str | Path) -> EnvFile:
    """Read and validate an environment file; errors name the file, line and column."""
    path = Path(path).expanduser()
    if not path.exists():
        raise NotFound(
            f"environment file {path} not found", "check the path given with -f/--environment-file"
        )
    if not path.is_file():
        raise InvalidInput(f"environment file {path} is not a file")
    try:
        data = read_yaml_file(path, str(path.absolute()))
    except OSError as error:
        raise InvalidInput(f"cannot read environment file {path}: {error}") from None
    validate_env_data(data, str(path.absolute()))
    return EnvFile(data=data, base_dir=path.parent.absolute(), path=path.absolute())


def parse_env_text(text: str, base_dir: str | Path, path: Path | None = None) -> EnvFile:
    """Validate an environment file given as text (the REST API sends it inline)."""
    where = str(path) if path else "the environment"
    data = load_yaml(text, where)
    validate_env_data(data, where)
    return EnvFile(data=data, base_dir=Path(base_dir), path=path)


# YAML's plain values; dates too, as a manifest may hold one
SCALARS = (str, int, float, bool, datetime.date)


def validate_env_data(data, where: str = "the environment") -> None:
    """Refuse anything conda would misread, and any field that is not a plain value or a
    flat list of them (but the `pip:` list and the `variables` and `manifest` mappings):
    raises InvalidInput naming the bad entry."""
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{where} must be a YAML mapping with name, channels and dependencies",
            "see https://docs.conda.io/projects/conda/en/stable/user-guide/tasks/manage-environments.html",
        )
    channels = data.get("channels")
    if channels is not None and (
        not isinstance(channels, list) or not all(isinstance(c, str) and c for c in channels)
    ):
        raise InvalidInput(f"{where}: channels must be a list of channel names or URLs")
    dependencies = data.get("dependencies")
    if dependencies is not None and not isinstance(dependencies, list):
        raise InvalidInput(f"{where}: dependencies must be a list")
    for item in dependencies or []:
        if isinstance(item, str) and item.strip():
            continue
        if isinstance(item, dict) and set(item) == {"pip"}:
            pip = item["pip"]
            if not isinstance(pip, list) or not all(isinstance(p, str) and p for p in pip):
                raise InvalidInput(f"{where}: the pip section must be a list of requirements")
            continue
        raise InvalidInput(
            f"{where}: unsupported dependency {shorten(item)}",
            "a dependency is a conda spec like 'numpy>=1.26' or a 'pip:' list",
        )
    variables = data.get("variables")
    if variables is not None and (
        not isinstance(variables, dict)
        or not all(isinstance(k, str) and _is_scalar(v) for k, v in variables.items())
    ):
        raise InvalidInput(f"{where}: variables must map names to plain values")
    manifest = data.get("manifest")
    if manifest is not None and not isinstance(manifest, dict):
        raise InvalidInput(f"{where}: manifest must be a mapping")
    validate_flat_fields(manifest or {}, f"{where}: manifest")
    identity = {"name": data.get("name")}
    identity.update({f"manifest {k}": (manifest or {}).get(k) for k in ("name", "version", "slug")})
    for key, value in identity.items():
        if isinstance(value, list):
            raise InvalidInput(f"{where}: {key} must be a plain value, not a list")
    others = {k: v for k, v in data.items() if k not in NESTED_SECTIONS}
    validate_flat_fields(others, where)


# the sections of an environment file that may hold more than plain values
NESTED_SECTIONS = ("channels", "dependencies", "variables", "manifest")


def validate_flat_fields(fields: dict, where: str) -> None:
    """Each field of `fields` must be a plain value, empty, or a flat list of plain values
    (a manifest's fields end up in kernel.json files, listings and the store's index)."""
    for key, value in fields.items():
        if not isinstance(key, str):
            raise InvalidInput(f"{where}: field name {shorten(key)} is not text")
        if value is None or _is_scalar(value):
            continue
        if isinstance(value, list) and all(_is_scalar(item) for item in value):
            continue
        raise InvalidInput(
            f"{where}: field {shorten(key)} must be a plain value or a list of plain values",
            "fix the file; nested lists and mappings are not accepted there",
        )


def _is_scalar(value) -> bool:
    return isinstance(value, SCALARS)


def make_slug(name: str, version: str) -> str:
    """ADS's slug rule: `f"{name}_v{version}"`, ASCII spaces removed, `.` -> `_`, lower-cased."""
    return f"{name}_v{version}".replace(" ", "").replace(".", "_").lower()


def validate_slug(slug) -> str:
    """Return `slug` if it is a safe single path component, else raise InvalidInput."""
    problem = None
    if not isinstance(slug, str) or not slug.strip():
        problem = "it is empty"
    elif slug.startswith("."):
        problem = "it starts with '.'"
    elif any(ch in FORBIDDEN_SLUG_CHARACTERS for ch in slug):
        problem = f"it contains one of {FORBIDDEN_SLUG_CHARACTERS}"
    elif any(ord(ch) < 32 or ord(ch) == 127 for ch in slug):
        problem = "it contains control characters"
    elif len(slug.encode("utf-8")) > MAX_SLUG_BYTES:
        problem = f"it is longer than {MAX_SLUG_BYTES} bytes"
    if problem:
        raise InvalidInput(
            f"invalid slug {shorten(slug)}: {problem}",
            "use letters, digits, '-' and '_' (set manifest.slug, or -n/-v)",
        )
    return slug


def resolve_identity(
    env: EnvFile,
    name: str | None = None,
    version: str | None = None,
    default_version: str | None = None,
) -> Identity:
    """Name: `name`, else manifest.name, else the file's `name:`. Version: `version`, else
    manifest.version, else `default_version` (1.0 unless given; the CLI gives ADS's 1).
    Slug: manifest.slug, else ADS's rule; always validated. Unlike ADS, which names the slug
    after its -v default even when the manifest has a version, the slug always names the
    version that the manifest and the object path carry."""
    manifest = env.manifest
    name = _text(name) or _text(manifest.get("name")) or _text(env.data.get("name"))
    if not name:
        raise InvalidInput(
            f"no environment name: {env.source} has neither manifest.name nor name",
            "pass -n/--name, or add 'name:' to the file",
        )
    version = (
        _text(version)
        or _text(manifest.get("version"))
        or _text(default_version)
        or DEFAULT_VERSION
    )
    slug = _text(manifest.get("slug")) or make_slug(name, version)
    return Identity(name=name, version=version, slug=validate_slug(slug))


_SPEC_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)")


def spec_name(spec: str) -> str:
    """The package name of a conda spec: `conda-forge::numpy>=1` -> `numpy`."""
    spec = spec.split("::", 1)[-1]
    match = _SPEC_NAME.match(spec)
    return normalize_name(match.group(1)) if match else ""


def pip_requirement_name(line: str) -> str:
    """The project name of a pip requirement line, or "" for options and paths."""
    line = line.strip()
    if not line or line.startswith("-") or "/" in line or line.startswith("."):
        return ""
    match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)", line)
    return normalize_name(match.group(1)) if match else ""


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# pip options whose argument is a file or folder
_PIP_PATH_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable"}
_PIP_PATH_OPTIONS |= {"-f", "--find-links"}


def _absolute_pip_line(line: str, base_dir: Path) -> str:
    try:
        words = shlex.split(line)
    except ValueError:
        return line
    if not words:
        return line
    out: list[str] = []
    expect_path = False
    for word in words:
        if expect_path:
            out.append(_absolute_if_local(word, base_dir))
            expect_path = False
        elif word in _PIP_PATH_OPTIONS:
            out.append(word)
            expect_path = True
        elif "=" in word and word.split("=", 1)[0] in _PIP_PATH_OPTIONS:
            option, value = word.split("=", 1)
            out.append(f"{option}={_absolute_if_local(value, base_dir)}")
        elif not word.startswith("-") and _looks_like_path(word):
            out.append(_absolute_if_local(word, base_dir))
        else:
            out.append(word)
    if out == words:
        return line
    # requirement files are not shell text: pip splits option lines on spaces itself
    return " ".join(out)


def _looks_like_path(word: str) -> bool:
    return word.startswith((".", "/", "~")) or word.endswith((".whl", ".tar.gz", ".zip"))


def _absolute_if_local(value: str, base_dir: Path) -> str:
    if "://" in value:
        return value
    candidate = Path(value).expanduser()
    if candidate.is_absolute():
        return value
    return str(base_dir / candidate)


def _text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
