"""Errors the core raises. Each carries a message for the user and, when useful, a hint.

The CLI prints them as one paragraph; the REST layer maps them to status codes by `status`.
"""

import errno


class PackError(Exception):
    """A failure the user can act on."""

    code = "error"
    status = 500

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "hint": self.hint}

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class InvalidInput(PackError):
    """Bad input: a malformed file, a bad slug or URI, an unknown option value."""

    code = "invalid_input"
    status = 400


class NotFound(PackError):
    code = "not_found"
    status = 404


class Conflict(PackError):
    """Something already exists, or another operation holds it."""

    code = "conflict"
    status = 409


class BuildFailed(PackError):
    """The solver, pip, conda-pack, conda-unpack or a container failed. `exit_status` is
    the failed command's or container's exit status, when one ran and exited."""

    code = "build_failed"

    def __init__(self, message: str, hint: str = "", *, exit_status: int | None = None):
        super().__init__(message, hint)
        self.exit_status = exit_status

    def to_dict(self) -> dict:
        data = super().to_dict()
        if self.exit_status is not None:
            data["exit_status"] = self.exit_status
        return data


class StoreError(PackError):
    """A pack store (Object Storage or a folder) refused or failed a request."""

    code = "store_error"


class AuthError(StoreError):
    """The store refused our credentials. Not 401: to a Jupyter client that means its own
    login expired, while here the Object Storage service is the one saying no."""

    code = "auth_error"
    status = 502


class Cancelled(PackError):
    code = "cancelled"
    status = 409

    def __init__(self, message: str = "cancelled by the user", hint: str = ""):
        super().__init__(message, hint)


def os_failure(error: OSError, what: str) -> PackError:
    """A file system error met while `what` (e.g. "writing /x/y.tar.gz"), for the user: a
    full disk says so and what to do."""
    if error.errno == errno.ENOSPC:
        return BuildFailed(
            f"the disk is full (no space left on the device) while {what}",
            "free some space (or choose another --conda-pack-folder) and try again",
        )
    return BuildFailed(f"{what} failed: {error}")
