"""REST handlers. Each one parses input, calls the core, and maps core errors to HTTP.

Every route lives under /conda-pack-ext/ and answers JSON. Anything slow (listing packs,
reading a store) runs in a thread; jobs run in the JobManager's workers, and job state is
read from memory.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.log import app_log

from ..errors import InvalidInput, PackError
from ..local_envs import envs_with_states
from ..operations import validate_params
from ..publish import list_published
from ..safe_yaml import MAX_DOCUMENT_BYTES, clip, shorten
from ..settings import AUTH_MODES, CONFIG_KEYS, ENGINES, load_settings, write_config
from ..status import status

ROUTE_PREFIX = "conda-pack-ext"
# room for an environment file (at most MAX_DOCUMENT_BYTES) escaped as JSON
MAX_BODY_BYTES = 3 * MAX_DOCUMENT_BYTES
JOB_ID = r"(?P<job_id>[A-Za-z0-9_-]+)"


class BaseHandler(APIHandler):
    """Shared error mapping: a PackError becomes its status with {code, message, hint}."""

    @property
    def ads_config_dir(self) -> str | None:
        return self.settings.get("conda_pack_ext_ads_config_dir")

    @property
    def jobs(self):
        """The server's JobManager."""
        return self.settings["conda_pack_ext_jobs"]

    def load_pack_settings(self, **flags):
        """Our Settings (config.ini, flags) in effect; `self.settings` is tornado's dict."""
        return load_settings(ads_config_dir=self.ads_config_dir, **flags)

    async def in_thread(self, function, *args):
        """Run blocking work (disk, network) off the event loop."""
        return await tornado.ioloop.IOLoop.current().run_in_executor(None, function, *args)

    async def json_body(self) -> dict:
        """The request's JSON object body, parsed in a thread (a large body would stall
        every other request); 400 for anything else."""
        return await self.in_thread(parse_json_body, self.request.body)

    def query_int(self, name: str, default: int | None = None, minimum: int = 0) -> int | None:
        value = self.get_query_argument(name, None)
        if value in (None, ""):
            return default
        try:
            number = int(value)
        except ValueError:
            raise InvalidInput(f"{name} must be an integer, got {shorten(value)}") from None
        if number < minimum:
            raise InvalidInput(f"{name} must be at least {minimum}")
        return number

    def send_json(self, data, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def write_error(self, status_code, **kwargs):
        """A PackError answers its own status with {code, message, hint}."""
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, PackError):
            self.set_status(error.status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(error.to_dict()))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb):
        """A PackError is the user's to fix (its answer says how): one warning line, not
        an uncaught exception's traceback."""
        if isinstance(value, PackError):
            app_log.warning("%s %s: %s", self.request.method, self.request.uri, value.message)
            return
        super().log_exception(typ, value, tb)


def parse_json_body(body: bytes | None) -> dict:
    """A request body that must be a JSON object of bounded size."""
    if body and len(body) > MAX_BODY_BYTES:
        raise InvalidInput(
            f"the request body is too large ({len(body)} bytes; at most {MAX_BODY_BYTES})",
            "an environment file is a few kilobytes",
        )
    try:
        parsed = json.loads(body or b"{}")
    except (ValueError, RecursionError) as error:
        raise InvalidInput(f"the request body is not JSON: {clip(str(error), 200)}") from None
    if not isinstance(parsed, dict):
        raise InvalidInput("the request body must be a JSON object")
    return parsed


class RecentAnswer:
    """An answer kept for a few seconds and refreshed in the background. Frontends poll
    status; while a job keeps the GIL busy, every file-system call on the way (reading
    config.ini, looking for conda on PATH) waits for the GIL again, so computing the answer
    in the request would cost tens of milliseconds."""

    def __init__(self, seconds: float = 5.0):
        self.seconds = seconds
        self._value = None
        self._at = float("-inf")
        self._refresh = None
        self._generation = 0  # bumped by clear(): a refresh started before is discarded

    async def get(self, compute):
        """The kept answer (refreshed by `compute()` in a thread once it is older than
        `seconds`); only the first call, or the first after clear(), waits for it."""
        if self._value is None:
            return await self._update(compute)
        if time.monotonic() - self._at > self.seconds and self._refresh is None:
            self._refresh = asyncio.ensure_future(self._update(compute))
            self._refresh.add_done_callback(self._refreshed)
        return self._value

    async def _update(self, compute):
        generation = self._generation
        value = await tornado.ioloop.IOLoop.current().run_in_executor(None, compute)
        if generation == self._generation:
            self._value, self._at = value, time.monotonic()
        return value

    def _refreshed(self, task) -> None:
        self._refresh = None
        if not task.cancelled() and task.exception():
            self._value = None  # the next request computes it again and sees the error

    def clear(self) -> None:
        self._value = None
        self._generation += 1


class StatusHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/status: version, builders, pack folder, store and auth in effect.

        Answers {version, builders: [{name, kind, version, path}], engine, conda_pack_folder,
        store_uri, auth, config_path}; may be a few seconds old (refreshed in the background).
        """
        answer = self.settings["conda_pack_ext_status"]
        info = await answer.get(lambda: status(self.load_pack_settings()))
        self.finish(json.dumps(info))


class ConfigHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/config: the settings in effect.

        Answers {settings: {conda_pack_folder, conda_pack_os_prefix, auth, oci_config,
        oci_profile, os_endpoint, engine, part_size_mb, parallelism, container_image,
        docker_host, ads_config_dir, config_path}, sources: {name: flag|config|default},
        choices: {auth, engine}, keys: [writable names]}. Paths only, never a key or secret.
        """
        self.send_json(config_answer(self.load_pack_settings()))

    @tornado.web.authenticated
    async def put(self):
        """PUT /conda-pack-ext/config: change settings in ~/.ads_ops/config.ini.

        Body: {name: value} for any of conda_pack_folder, conda_pack_os_prefix, auth,
        oci_config, oci_profile, os_endpoint, engine, part_size_mb, parallelism,
        container_image, docker_host; null or "" removes the key (back to the default).
        Other keys of the file are kept. Answers like GET.
        """
        values = await self.json_body()
        await self.in_thread(write_config, values, self.ads_config_dir)
        self.settings["conda_pack_ext_status"].clear()
        self.send_json(config_answer(self.load_pack_settings()))


def config_answer(pack_settings) -> dict:
    """The settings in effect, where each comes from, and what may be written."""
    public = pack_settings.public()
    sources = public.pop("sources")
    return {
        "settings": public,
        "sources": sources,
        "choices": {"auth": list(AUTH_MODES), "engine": list(ENGINES)},
        "keys": sorted(CONFIG_KEYS),
    }


class EnvsHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/envs: environments and installed packs in the pack folder.

        Query: conda_pack_folder (default from the settings).
        Answers {conda_pack_folder, store_uri, store_error, envs: [{slug, name, version,
        python, arch_type, size_mb, prefix, kernels, pack_uri, managed, create_date,
        description, pack: {path, sha256, size, size_mb, created} or null,
        states: [built|installed, packed, published]}], cleanup: {leftovers,
        stale_kernels}}. store_error is set (and no env is marked published) when the
        store's index could not be read. Listing changes nothing: cleanup names what the
        `clean` job would remove.
        """
        folder = self.get_query_argument("conda_pack_folder", None)
        pack_settings = self.load_pack_settings(conda_pack_folder=folder)
        self.send_json(await self.in_thread(envs_with_states, pack_settings))


class PublishedHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/published: the packs in a store, from its index.

        Query: prefix (store URI, oci://bucket@namespace/prefix or file:///folder; default
        from the settings), rescan=0|1 (1 rebuilds the index from the store's listing).
        Answers {store_uri, packs: [manifest fields + pack_uri, size...], warnings: [the
        index entries skipped as unusable]}.
        """
        prefix = self.get_query_argument("prefix", None)
        rescan = self.get_query_argument("rescan", "0")
        if rescan not in ("0", "1", "true", "false"):
            raise InvalidInput(f"rescan must be 0 or 1, got {shorten(rescan)}")
        pack_settings = self.load_pack_settings(conda_pack_os_prefix=prefix)
        warnings: list[str] = []
        packs = await self.in_thread(
            list_published, pack_settings, rescan in ("1", "true"), warnings
        )
        self.send_json({"store_uri": pack_settings.store_uri, "packs": packs, "warnings": warnings})


class JobsHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/jobs: jobs, newest first, without their logs.

        Query: state (queued|running|succeeded|failed|cancelled|interrupted), kind, slug,
        limit. Answers {jobs: [job]}.
        """
        jobs = self.jobs.list(
            state=self.get_query_argument("state", None),
            kind=self.get_query_argument("kind", None),
            slug=self.get_query_argument("slug", None),
            limit=self.query_int("limit", minimum=1),
        )
        self.send_json({"jobs": [self.jobs.snapshot(job, log_offset=None) for job in jobs]})

    @tornado.web.authenticated
    async def post(self):
        """POST /conda-pack-ext/jobs: start an operation in the background.

        Body: {kind: create|pack|install|uninstall|publish|unpublish|clean, params: {...}};
        params are the CLI's long options with `_` (environment_file, name, version, gpu,
        engine, conda_pack_folder, overwrite, slug, conda_pack_os_prefix, conda_uri, auth,
        oci_config, oci_profile, os_endpoint, no_kernel, dry_run...); clean works on the
        configured pack folder only. environment_file is relative to the server's
        root folder and must stay inside it; environment may carry the YAML text instead.
        Answers 202, Location: .../conda-pack-ext/jobs/<id>, and the job.
        400 for bad input, 409 when another job holds the slug.
        """
        body = await self.json_body()
        # reads and validates the environment file: in a thread, as its size is the user's
        job = await self.in_thread(self._submit, body.get("kind"), body.get("params", {}))
        location = url_path_join(self.base_url, ROUTE_PREFIX, "jobs", job.id)
        self.set_header("Location", location)
        self.send_json(self.jobs.snapshot(job), status=202)

    def _submit(self, kind, params):
        """Validate the job and queue it; its temporary files go if it is refused."""
        validate_params(kind, params)
        run_params, temp_paths = self._prepare_params(kind, params)
        try:
            return self.jobs.submit(kind, params, run_params=run_params, temp_paths=temp_paths)
        except BaseException:
            for path in temp_paths:
                shutil.rmtree(path, ignore_errors=True)
            raise

    def _prepare_params(self, kind: str, params: dict) -> tuple[dict, list[str]]:
        """Resolve environment_file inside the root folder, or write environment text to a
        temporary file; returns the params to run and the temporary paths made."""
        run_params = dict(params)
        lock = params.get("from_lock")
        if isinstance(lock, str) and lock.startswith("file:"):
            self._check_in_configured_store(lock)
        if isinstance(lock, str) and "://" not in lock and "/" in lock:
            # a lock file path: inside the root folder, as environment files are
            run_params["from_lock"] = str(resolve_inside(self.root_dir, lock, "from_lock"))
        text = run_params.pop("environment", None)  # one or the other: the declaration
        if params.get("environment_file"):
            run_params["environment_file"] = str(
                resolve_inside(self.root_dir, params["environment_file"])
            )
            return run_params, []
        if text is None:
            return run_params, []
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("environment must be the text of an environment file")
        folder = tempfile.mkdtemp(prefix="conda-pack-ext-environment-")
        path = Path(folder) / "environment.yaml"
        path.write_text(text, encoding="utf-8")
        run_params["environment_file"] = str(path)
        return run_params, [folder]

    def _check_in_configured_store(self, uri: str) -> None:
        """A file:// `from_lock` is taken only inside the configured folder store (a
        published pack of the panel); any other file would be read as a lock."""
        store = self.load_pack_settings().store_uri
        inside = False
        if store.startswith("file:"):
            root = Path(unquote(urlparse(store).path)).resolve()
            inside = Path(unquote(urlparse(uri).path)).resolve().is_relative_to(root)
        if not inside:
            raise InvalidInput(
                f"from_lock {shorten(uri)} is not in the configured store",
                "give a lock file relative to the server's root, an env slug, an oci:// URI "
                "or a pack of the configured store",
            )

    @property
    def root_dir(self) -> Path:
        contents_manager = self.settings.get("contents_manager")
        root = getattr(contents_manager, "root_dir", None) or self.settings["server_root_dir"]
        return Path(root).expanduser()


def resolve_inside(root: Path, relative: str, name: str = "environment_file") -> Path:
    """`relative` (the param `name`) resolved, symlinks too, under `root`; InvalidInput if
    it leaves root or is not a file."""
    if not isinstance(relative, str):
        raise InvalidInput(f"{name} must be a path relative to the server's root")
    root = root.resolve()
    path = (root / relative.lstrip("/")).resolve()
    if not path.is_relative_to(root):
        raise InvalidInput(
            f"{name} {shorten(relative)} is outside the server's root folder",
            "choose a file inside the folder the file browser shows",
        )
    if not path.is_file():
        raise InvalidInput(f"{name} {shorten(relative)} is not a file in the server's root")
    return path


class JobHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, job_id):
        """GET /conda-pack-ext/jobs/<id>: one job with its log.

        Query: log_offset=N (default 0) returns log lines from line N on.
        Answers {id, kind, params, slug, state, phase, progress: {done, total, unit, rate},
        log, log_offset, log_total, result, error: {code, message, hint}, cancel_requested,
        created, started, finished}; 404 for an unknown id.
        """
        job = self.jobs.get(job_id)
        self.send_json(self.jobs.snapshot(job, log_offset=self.query_int("log_offset", 0)))

    @tornado.web.authenticated
    async def delete(self, job_id):
        """DELETE /conda-pack-ext/jobs/<id>: cancel a job.

        A queued job is cancelled at once; a running one stops at its next safe point and
        leaves things as they were before it started. Answers 202 and the job; 404 for an
        unknown id, 409 when the job has already ended.
        """
        job = self.jobs.cancel(job_id)
        self.send_json(self.jobs.snapshot(job, log_offset=None), status=202)


def route_table() -> list[tuple[str, type]]:
    """Every route of the extension, relative to the server's base URL."""
    from .explorer_handlers import explorer_routes
    from .repro_handlers import repro_routes

    return [
        (rf"/{ROUTE_PREFIX}/status", StatusHandler),
        (rf"/{ROUTE_PREFIX}/config", ConfigHandler),
        (rf"/{ROUTE_PREFIX}/envs", EnvsHandler),
        (rf"/{ROUTE_PREFIX}/published", PublishedHandler),
        (rf"/{ROUTE_PREFIX}/jobs", JobsHandler),
        (rf"/{ROUTE_PREFIX}/jobs/{JOB_ID}", JobHandler),
        *explorer_routes(ROUTE_PREFIX),
        *repro_routes(ROUTE_PREFIX),
    ]


def setup_handlers(server_app) -> None:
    web_app = server_app.web_app
    web_app.settings.setdefault("conda_pack_ext_status", RecentAnswer())
    base_url = web_app.settings["base_url"]
    handlers = [(url_path_join(base_url, route), handler) for route, handler in route_table()]
    web_app.add_handlers(".*$", handlers)
