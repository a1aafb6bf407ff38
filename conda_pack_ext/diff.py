"""`diff A B`: what differs between two environments' package sets.

A and B are anything contents.read_contents reads. Rows are keyed by kind and name (a conda
package and a Python distribution of the same name are different rows). An environment file
is compared by what it asks for: a requested package the other side lacks, or holds in a
version its spec does not allow, is a difference; the other side's further packages (the
dependencies) are not.
"""

from __future__ import annotations

from packaging.requirements import InvalidRequirement, Requirement
from rattler import BuildString, MatchSpec, PackageRecord

from .contents import Contents
from .errors import InvalidInput
from .lock import CONDA, Package


def diff_contents(a: Contents, b: Contents) -> dict:
    """{"from", "to", "added", "removed", "changed"}: added are in B only, removed in A only,
    changed in both with another version or build (from A's to B's)."""
    if a.requested is not None and b.requested is not None:
        raise InvalidInput(
            f"{a.source} and {b.source} are both environment files: they hold no packages",
            "compare an environment file with a pack, a lock or an env",
        )
    if a.requested is not None:
        added, removed, changed = _against_specs(a, b)
    elif b.requested is not None:
        removed, added, changed = _against_specs(b, a)
        changed = [_reversed(row) for row in changed]
    else:
        added, removed, changed = _between_sets(a.packages, b.packages)
    return {
        "from": a.source,
        "to": b.source,
        "added": added,
        "removed": removed,
        "changed": changed,
    }


def _between_sets(old: list[Package], new: list[Package]):
    before = {(p.kind, p.name): p for p in old}
    after = {(p.kind, p.name): p for p in new}
    added = [_row(after[k]) for k in sorted(after.keys() - before.keys())]
    removed = [_row(before[k]) for k in sorted(before.keys() - after.keys())]
    changed = []
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        if (a.version, a.build) != (b.version, b.build):
            changed.append(_change(a.name, a.kind, a.version, a.build, b.version, b.build))
    return added, removed, changed


def _against_specs(env_file: Contents, other: Contents):
    """(in the file only, in the other only (always empty), changed) for an env file."""
    held = {(p.kind, p.name): p for p in other.packages}
    missing, changed = [], []
    for name, kind, spec in env_file.requested:
        package = held.get((kind, name))
        if package is None:
            missing.append({"name": name, "kind": kind, "version": spec, "build": ""})
        elif not _satisfies(package, spec):
            changed.append(_change(name, kind, spec, "", package.version, package.build))
    return [], missing, changed


def _satisfies(package: Package, spec: str) -> bool:
    if package.kind == CONDA:
        record = PackageRecord(
            package.name,
            package.version,
            BuildString(package.build or "0"),
            0,
            package.subdir or "noarch",
        )
        try:
            match_spec = MatchSpec(spec, strict=False)
        except Exception:  # rattler's parse errors: a spec we cannot judge is not a change
            return True
        return match_spec.matches(record)
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        return True  # a path or URL line: the name being there is all we can check
    return requirement.specifier.contains(package.version, prereleases=True)


def _row(package: Package) -> dict:
    return {
        "name": package.name,
        "kind": package.kind,
        "version": package.version,
        "build": package.build,
    }


def _change(name, kind, from_version, from_build, to_version, to_build) -> dict:
    return {
        "name": name,
        "kind": kind,
        "from_version": from_version,
        "from_build": from_build,
        "to_version": to_version,
        "to_build": to_build,
    }


def _reversed(row: dict) -> dict:
    return _change(
        row["name"], row["kind"], row["to_version"], row["to_build"], row["from_version"], ""
    )
