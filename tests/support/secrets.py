"""Files full of secret-looking lines, passed where an OCI config file is expected, and a
check that none of their content shows in an error, an answer, a log or a state file."""

from __future__ import annotations

from pathlib import Path

# Every secret-looking line carries this marker: it must never be seen anywhere.
MARKER = "TOPSECRET"
SECRET_LINES = [
    f"password=Hunter2-{MARKER}-PASSWORD",
    f"aws_secret_access_key = {MARKER}/AWSKEY+abcdef",
    f"token: {MARKER}-BEARER-TOKEN",
    f"[DEFAULT] {MARKER}-IN-A-HEADER-LINE",
    f"{MARKER}-BARE-LINE",
]


def secret_files(folder: Path, key_pem: bytes) -> dict[str, tuple[Path, list[str]]]:
    """{kind: (file, strings that must not leak)}: files of `password=...`-like lines
    (with and without a profile header) and a PEM private key, to pass as oci_config."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "secret_lines": "\n".join(SECRET_LINES) + "\n",
        "secret_profile": "[DEFAULT]\n" + "\n".join(SECRET_LINES[:3]) + "\n",
        "pem_key": key_pem.decode(),
    }
    files = {}
    for kind, text in texts.items():
        path = folder / f"{kind}.cfg"
        path.write_text(text)
        leaks = key_pem.decode().splitlines()[1:-1] if kind == "pem_key" else [MARKER]
        files[kind] = (path, leaks)
    return files


def assert_no_secret(text: str | bytes, leaks: list[str]) -> None:
    data = text.encode() if isinstance(text, str) else text
    for leak in leaks:
        assert leak.encode() not in data, f"{leak[:16]}... leaked"
