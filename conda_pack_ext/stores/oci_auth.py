"""Object Storage clients for ADS's four auth modes, with bounded retries.

api_key: a profile of an OCI config file (`oci_config`, `oci_profile`).
resource_principal: the OCI_RESOURCE_PRINCIPAL_* variables of OCI notebooks and jobs.
instance_principal: the instance metadata service and the auth service's federation endpoint.
security_token: `security_token_file` and `key_file` of a config profile (`oci session authenticate`).

Errors never quote key material, tokens or passphrases: only paths, profile and mode names.
"""

from __future__ import annotations

import configparser
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import oci

from ..errors import AuthError, InvalidInput
from ..settings import Settings


@dataclass
class RetryPolicy:
    """How hard a request is retried on 5xx, 429, timeouts and connection errors."""

    attempts: int = 5
    base_seconds: float = 1.0
    max_wait_seconds: float = 8.0
    total_seconds: float = 120.0

    def strategy(self):
        return oci.retry.RetryStrategyBuilder(
            max_attempts_check=True,
            max_attempts=self.attempts,
            total_elapsed_time_check=True,
            total_elapsed_time_seconds=self.total_seconds,
            retry_base_sleep_time_seconds=self.base_seconds,
            retry_max_wait_between_calls_seconds=self.max_wait_seconds,
            service_error_check=True,
            service_error_retry_on_any_5xx=True,
            backoff_type=oci.retry.BACKOFF_FULL_JITTER_EQUAL_ON_THROTTLE_VALUE,
        ).get_retry_strategy()


# Module-level so that tests can shorten the waits.
RETRY = RetryPolicy()
# The profile keys each config-based auth mode reads.
REQUIRED_KEYS = {
    "api_key": ("user", "fingerprint", "tenancy", "key_file"),
    "security_token": ("key_file", "security_token_file"),
}
# An OCI config file is a few lines; anything larger is not one.
MAX_CONFIG_BYTES = 1 << 20
# Connect and read timeouts (seconds) of every Object Storage request.
TIMEOUT = (10.0, 120.0)


def describe_auth(settings: Settings) -> str:
    """The auth in effect, for error messages: mode, and profile and file for key-based ones."""
    mode = settings.auth_mode
    if mode in ("api_key", "security_token"):
        return f"{mode} (profile {settings.oci_profile!r} of {settings.oci_config})"
    return mode


def load_config_profile(settings: Settings) -> dict:
    """The profile of the OCI config file, with errors that say what to fix.

    The file may hold anything (a key or a password file passed by mistake): errors say
    what kind of problem it has and where, never its content."""
    path = Path(settings.oci_config).expanduser()
    if not path.exists():
        raise AuthError(
            f"OCI config file {path} not found (auth {settings.auth_mode})",
            "create it with `oci setup config`, point --oci-config at it, or choose another "
            "auth mode with -a resource_principal|instance_principal",
        )
    _check_config_file(path)
    try:
        config = oci.config.from_file(str(path), settings.oci_profile)
    except oci.exceptions.ProfileNotFound:
        raise AuthError(
            f"profile {settings.oci_profile!r} not found in {path}",
            "pass --oci-profile with a profile of that file",
        ) from None
    except oci.exceptions.InvalidKeyFilePath:
        raise AuthError(
            f"the key_file of profile {settings.oci_profile!r} in {path} does not exist",
            "fix key_file in the profile",
        ) from None
    except oci.exceptions.InvalidConfig as error:
        # InvalidConfig names missing or malformed keys, never their values
        raise AuthError(
            f"profile {settings.oci_profile!r} in {path} is incomplete: {_safe(error)}",
            "it needs user, fingerprint, tenancy, region and key_file",
        ) from None
    except (configparser.Error, UnicodeDecodeError, OSError, ValueError) as error:
        # configparser's messages quote the offending lines: say only what kind of problem
        raise unreadable_config(path, _config_problem(error)) from None
    except oci.exceptions.ClientError as error:
        raise unreadable_config(path, type(error).__name__) from None
    missing = [key for key in REQUIRED_KEYS[settings.auth_mode] if not config.get(key)]
    if missing:
        raise AuthError(
            f"profile {settings.oci_profile!r} in {path} is incomplete: it has no "
            f"{', '.join(missing)}",
            f"auth {settings.auth_mode} needs {', '.join(REQUIRED_KEYS[settings.auth_mode])}",
        )
    return config


def unreadable_config(path: Path, problem: str) -> AuthError:
    """The error for an OCI config file that cannot be read; quotes none of its lines."""
    return AuthError(
        f"the OCI config file {path} could not be read: {problem}",
        "check that --oci-config (oci_config) names an OCI config file made by "
        "`oci setup config`: [PROFILE] sections of key=value lines, key_file pointing at "
        "the key (not the key itself)",
    )


def _check_config_file(path: Path) -> None:
    """Refuse what cannot be a config file before parsing it (parsing a large file, or a
    FIFO, would take unbounded time)."""
    try:
        info = path.stat()
    except OSError as error:
        raise unreadable_config(path, error.strerror or type(error).__name__) from None
    if not stat.S_ISREG(info.st_mode):
        raise unreadable_config(path, "it is not a regular file")
    if info.st_size > MAX_CONFIG_BYTES:
        raise unreadable_config(path, f"it is larger than {MAX_CONFIG_BYTES >> 10} kB")


def _config_problem(error: Exception) -> str:
    """What is wrong with a config file, from a parsing error, without its content."""
    line = getattr(error, "lineno", None)
    at = f" (line {line})" if line else ""
    if isinstance(error, configparser.MissingSectionHeaderError):
        return f"it does not start with a [PROFILE] section header{at}"
    if isinstance(error, configparser.DuplicateSectionError | configparser.DuplicateOptionError):
        return f"a profile or key appears twice{at}"
    if isinstance(error, configparser.ParsingError):
        lines = ", ".join(str(number) for number, _ in error.errors[:10])
        return f"some lines are not key = value lines (lines {lines})"
    if isinstance(error, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return f"it is not a valid config file ({type(error).__name__})"


def _safe(error: Exception) -> str:
    """The first line of an SDK error (they name keys and paths, not key contents)."""
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__


def _private_key(path: str, passphrase: str | None, settings: Settings):
    key_path = Path(path).expanduser()
    if not key_path.exists():
        raise AuthError(
            f"key file {key_path} of profile {settings.oci_profile!r} not found",
            f"fix key_file in {settings.oci_config}",
        )
    try:
        return oci.signer.load_private_key_from_file(str(key_path), passphrase)
    except oci.exceptions.MissingPrivateKeyPassphrase:
        raise AuthError(
            f"key file {key_path} is encrypted and no pass_phrase is set",
            f"add pass_phrase to profile {settings.oci_profile!r}",
        ) from None
    except (oci.exceptions.InvalidPrivateKey, ValueError, TypeError):
        raise AuthError(
            f"key file {key_path} is not a readable private key (or its passphrase is wrong)",
            f"check key_file and pass_phrase of profile {settings.oci_profile!r}",
        ) from None


def build_signer(settings: Settings) -> tuple[dict, object]:
    """(config, signer) for the auth mode in effect."""
    mode = settings.auth_mode
    if mode == "api_key":
        config = load_config_profile(settings)
        _private_key(config["key_file"], config.get("pass_phrase"), settings)  # clear errors
        signer = oci.signer.Signer(
            tenancy=config["tenancy"],
            user=config["user"],
            fingerprint=config["fingerprint"],
            private_key_file_location=config["key_file"],
            pass_phrase=config.get("pass_phrase"),
        )
        return config, signer
    if mode == "security_token":
        config = load_config_profile(settings)
        token_file = config.get("security_token_file")
        if not token_file:
            raise AuthError(
                f"profile {settings.oci_profile!r} has no security_token_file",
                "create a session with `oci session authenticate`",
            )
        token_path = Path(token_file).expanduser()
        if not token_path.exists():
            raise AuthError(
                f"security token file {token_path} not found",
                "refresh the session with `oci session authenticate`",
            )
        try:
            token = token_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            raise AuthError(
                f"security token file {token_path} is not readable text",
                "refresh the session with `oci session authenticate`",
            ) from None
        key = _private_key(config["key_file"], config.get("pass_phrase"), settings)
        return config, oci.auth.signers.SecurityTokenSigner(token, key)
    if mode == "resource_principal":
        try:
            signer = oci.auth.signers.get_resource_principals_signer()
        except Exception as error:  # the SDK raises EnvironmentError, ValueError, ...
            raise AuthError(
                f"resource principal auth is not available here: {type(error).__name__}",
                "it works inside OCI notebook sessions and jobs (OCI_RESOURCE_PRINCIPAL_* "
                "variables); elsewhere use -a api_key",
            ) from None
        return {"region": signer.region}, signer
    if mode == "instance_principal":
        try:
            signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner(
                **_instance_principal_options()
            )
        except Exception as error:
            raise AuthError(
                f"instance principal auth failed: {type(error).__name__}",
                "it works on OCI compute instances that can reach the metadata service; "
                "elsewhere use -a api_key",
            ) from None
        return {"region": signer.region}, signer
    raise InvalidInput(f"unknown auth mode {mode!r}")


def _instance_principal_options() -> dict:
    # bounded like every other request (the SDK would otherwise retry for 3 minutes)
    options = {
        "retry_strategy": RETRY.strategy(),
        "federation_client_retry_strategy": RETRY.strategy(),
    }
    # The auth service's federation endpoint can be pinned (private endpoints, tests).
    endpoint = os.environ.get("OCI_FEDERATION_ENDPOINT")
    if endpoint:
        options["federation_endpoint"] = endpoint
    return options


def object_storage_client(settings: Settings, endpoint: str | None = None):
    """An ObjectStorageClient for the settings' auth mode, endpoint and retry policy."""
    config, signer = build_signer(settings)
    kwargs = {
        "signer": signer,
        "retry_strategy": RETRY.strategy(),
        # Our own bounded retries are the only back-off; a tripped breaker would turn a
        # passing outage into failures of unrelated later requests.
        "circuit_breaker_strategy": oci.circuit_breaker.NoCircuitBreakerStrategy(),
        "timeout": TIMEOUT,
    }
    endpoint = endpoint or settings.os_endpoint
    if endpoint:
        kwargs["service_endpoint"] = endpoint
    if not config.get("region") and not endpoint:
        raise AuthError(
            f"no region known for auth {describe_auth(settings)}",
            "set region in the OCI config profile or pass --os-endpoint",
        )
    try:
        return oci.object_storage.ObjectStorageClient(config, **kwargs)
    except oci.exceptions.InvalidConfig as error:
        raise AuthError(f"cannot create the Object Storage client: {_safe(error)}") from None
    except ValueError as error:  # its message may quote a config value
        raise AuthError(
            f"cannot create the Object Storage client ({type(error).__name__})",
            f"check the profile {settings.oci_profile!r} of {settings.oci_config} and "
            "--os-endpoint",
        ) from None
