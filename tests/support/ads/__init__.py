"""Oracle's own ADS CLI (`oracle-ads[opctl]`, in a virtual environment of its own made by
`make ads-venv`), run as its users run it but against the test Object Storage server:

- `NO_CONTAINER=1`, so create and publish run natively;
- `bin/conda` answers the two conda calls ADS then makes (conda_standin.py);
- `bin/oci` adds `--endpoint` to the `oci` CLI that ADS's install shells out to;
- `site/sitecustomize.py` sends ADS's own SDK clients to the same endpoint.

`CONDA_PACK_EXT_ADS` names the `ads` executable (the Makefile sets it). Without it the ADS
tests skip, naming what is missing; with `CONDA_PACK_EXT_REQUIRE_ADS=1` (`make pytest`) or
in CI they fail instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
CHECKOUT = HERE.parents[2]
ADS_VARIABLE = "CONDA_PACK_EXT_ADS"
REQUIRE_VARIABLE = "CONDA_PACK_EXT_REQUIRE_ADS"
TIMEOUT_SECONDS = 600


def find_ads() -> tuple[Path | None, str]:
    """The `ads` executable, or None and why not."""
    value = os.environ.get(ADS_VARIABLE)
    if not value:
        return None, f"Oracle's ADS CLI: {ADS_VARIABLE} is not set (run `make ads-venv`)"
    ads = Path(value)
    if not (os.access(ads, os.X_OK) and (ads.parent / "oci").exists()):
        return None, f"Oracle's ADS CLI: {ads} (with oci beside it) is missing (`make ads-venv`)"
    return ads, ""


def ads_required() -> bool:
    return bool(os.environ.get(REQUIRE_VARIABLE) or os.environ.get("CI"))


@dataclass
class AdsCli:
    """`ads opctl ...` in a home of its own, pointed at `endpoint`."""

    ads: Path
    endpoint: str
    home: Path

    def environ(self) -> dict:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("OCI_", "PYTHON", "VIRTUAL_ENV", "CONDA_"))
        }
        env.update(
            HOME=str(self.home),
            PATH=os.pathsep.join([str(HERE / "bin"), str(self.ads.parent), "/usr/bin", "/bin"]),
            PYTHONPATH=str(HERE / "site"),
            NO_CONTAINER="1",
            ADS_TEST_OS_ENDPOINT=self.endpoint,
            ADS_TEST_REAL_OCI=str(self.ads.parent / "oci"),
            ADS_TEST_STANDIN_PYTHON=sys.executable,
            ADS_TEST_STANDIN_PYTHONPATH=str(CHECKOUT),
        )
        return env

    def run(self, *args: str, input: str | None = None) -> str:
        """Run `ads opctl ARGS...`; returns its output, failing the test on an error."""
        process = subprocess.run(
            [str(self.ads), "opctl", *args],
            env=self.environ(),
            input=input,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        output = process.stdout + process.stderr
        assert process.returncode == 0, f"ads opctl {' '.join(args)} failed:\n{output}"
        assert "Traceback" not in output, f"ads opctl {' '.join(args)} crashed:\n{output}"
        return output
