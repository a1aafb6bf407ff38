"""A CycloneDX 1.5 SBOM of an environment: one component per conda package and Python
distribution, with its purl (`pkg:conda/...`, `pkg:pypi/...`), version, license (from the
package metadata) and hashes."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import quote

from . import __version__
from .lock import CONDA, Lock, Package

SBOM_SUFFIX = ".cdx.json"
MAX_SBOM_BYTES = 16 << 20  # an SBOM read back from beside a published pack
MAX_LICENSE_CHARS = 100  # longer license fields are whole license texts, not identifiers
SPEC_VERSION = "1.5"
# an SPDX expression: identifiers joined by AND / OR / WITH, with optional parentheses
SPDX_EXPRESSION = re.compile(r"^\(?[A-Za-z0-9.+-]+\)?(\s+(AND|OR|WITH)\s+\(?[A-Za-z0-9.+-]+\)?)*$")


def make_sbom(lock: Lock, name: str, version: str = "") -> dict:
    """The CycloneDX 1.5 document (a dict ready for json.dumps) of an environment."""
    components, seen = [], set()
    for package in sorted(lock.packages, key=lambda p: (p.kind, p.name)):
        component = _component(package)
        if component["bom-ref"] not in seen:
            seen.add(component["bom-ref"])
            components.append(component)
    subject = {"type": "application", "bom-ref": f"env:{name}", "name": name}
    if version:
        subject["version"] = str(version)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {
                "components": [
                    {"type": "application", "name": "conda-pack-ext", "version": __version__}
                ]
            },
            "component": subject,
            "properties": [{"name": "conda:platform", "value": lock.platform or "unknown"}],
        },
        "components": components,
    }


def sbom_text(lock: Lock, name: str, version: str = "") -> str:
    """The SBOM as JSON text."""
    return json.dumps(make_sbom(lock, name, version), indent=1) + "\n"


def license_summary(lock: Lock) -> dict[str, int]:
    """How many packages carry each license ("unknown" when the metadata has none)."""
    counts = Counter(p.license.strip() or "unknown" for p in lock.packages)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def licenses_from_sbom(data: bytes) -> dict[str, str]:
    """{purl without qualifiers: license} of the components of an SBOM written beside a
    pack (the qualifiers are left out because a lock spells the channel as a URL, while
    conda-meta, which the SBOM was made from, may not). Only licenses are taken from it (the
    lock is the package set); it is untrusted, so anything not shaped as we write it is left
    out, and a malformed document gives {}."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    components = document.get("components") if isinstance(document, dict) else None
    licenses = {}
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict) or not isinstance(component.get("purl"), str):
            continue
        text = _license_text(component.get("licenses"))
        if text and len(text) <= MAX_LICENSE_CHARS and "\n" not in text:
            licenses[component["purl"].partition("?")[0]] = text
    return licenses


def _license_text(licenses) -> str:
    first = licenses[0] if isinstance(licenses, list) and licenses else None
    if not isinstance(first, dict):
        return ""
    named = first.get("license") if isinstance(first.get("license"), dict) else {}
    for text in (first.get("expression"), named.get("id"), named.get("name")):
        if isinstance(text, str) and text.strip():
            return text.strip()
    return ""


def purl(package: Package) -> str:
    """The package URL: `pkg:conda/name@version?build=..&channel=..&subdir=..` or
    `pkg:pypi/name@version`."""
    name, version = quote(package.name.lower(), safe=""), quote(package.version, safe="")
    if package.kind != CONDA:
        return f"pkg:pypi/{name.replace('_', '-')}@{version}"
    qualifiers = {
        "build": package.build,
        "channel": package.channel,
        "subdir": package.subdir,
        "type": "tar.bz2" if package.url.endswith(".tar.bz2") else "conda",
    }
    text = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(qualifiers.items()) if v)
    return f"pkg:conda/{name}@{version}" + (f"?{text}" if text else "")


def _component(package: Package) -> dict:
    ref = purl(package)
    component = {
        "type": "library",
        "bom-ref": ref,
        "name": package.name,
        "version": package.version,
        "purl": ref,
    }
    if package.license.strip():
        component["licenses"] = [_license(package.license.strip())]
    hashes = [{"alg": "SHA-256", "content": package.sha256}] if package.sha256 else []
    if package.md5:
        hashes.append({"alg": "MD5", "content": package.md5})
    if hashes:
        component["hashes"] = hashes
    return component


def _license(text: str) -> dict:
    if SPDX_EXPRESSION.match(text) and " " in text:
        return {"expression": text}
    if SPDX_EXPRESSION.match(text):
        return {"license": {"id": text}} if text in _COMMON_SPDX_IDS else {"expression": text}
    return {"license": {"name": text}}


# SPDX identifiers written as `license.id` (which the schema checks against its list); any
# other identifier-shaped text goes out as an expression, free text as a name.
_COMMON_SPDX_IDS = frozenset(
    "MIT BSD-2-Clause BSD-3-Clause Apache-2.0 ISC MPL-2.0 LGPL-2.1-only LGPL-3.0-only "
    "GPL-2.0-only GPL-3.0-only PSF-2.0 Python-2.0 Zlib Unlicense CC0-1.0".split()
)
