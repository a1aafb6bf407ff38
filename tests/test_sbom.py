"""Licenses read back from an SBOM beside a published pack: untrusted JSON, where only what
is shaped as we write it counts."""

from __future__ import annotations

import json

from conda_pack_ext.lock import CONDA, Lock, Package
from conda_pack_ext.sbom import licenses_from_sbom, purl, sbom_text


def test_licenses_round_trip_through_our_own_sbom():
    packages = [
        Package("numpy", "2.0", CONDA, build="py_0", subdir="linux-64", license="BSD-3-Clause"),
        Package("odd", "1", CONDA, license="GPL-2.0-or-later WITH Classpath-exception-2.0"),
        Package("custom", "1", CONDA, license="Proprietary, see LICENSE"),
        Package("none", "1", CONDA),
    ]
    text = sbom_text(Lock("linux-64", packages), "env")
    licenses = licenses_from_sbom(text.encode())
    assert {p.name: licenses.get(purl(p).partition("?")[0], "") for p in packages} == {
        p.name: p.license for p in packages
    }


def test_malformed_sboms_give_no_licenses_and_no_error():
    deep = b"[" * 100_000 + b"]" * 100_000
    for data in (b"", b"\xff\xfe", b"[1, 2]", b'{"components": 5}', deep,
                 b'{"components": [5, {"purl": 7}, {"purl": "p", "licenses": "MIT"}]}'):  # fmt: skip
        assert licenses_from_sbom(data) == {}


def test_whole_license_texts_are_not_taken_for_identifiers():
    long_text = "Permission is hereby granted " * 10
    document = {"components": [
        {"purl": "pkg:pypi/a@1", "licenses": [{"license": {"name": long_text}}]},
        {"purl": "pkg:pypi/b@1", "licenses": [{"license": {"name": "MIT\nmore"}}]},
        {"purl": "pkg:pypi/c@1", "licenses": [{"expression": "MIT OR Apache-2.0"}]},
    ]}  # fmt: skip
    assert licenses_from_sbom(json.dumps(document).encode()) == {
        "pkg:pypi/c@1": "MIT OR Apache-2.0"
    }
