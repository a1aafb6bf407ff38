"""REST handlers. Each one parses input, calls the core, and maps core errors to HTTP."""

from __future__ import annotations

import json

import tornado
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from ..errors import PackError
from ..settings import load_settings
from ..status import status

ROUTE_PREFIX = "conda-pack-ext"


class BaseHandler(APIHandler):
    """Shared error mapping: a PackError becomes its status with {code, message, hint}."""

    @property
    def ads_config_dir(self) -> str | None:
        return self.settings.get("conda_pack_ext_ads_config_dir")

    def load_settings(self, **flags):
        return load_settings(ads_config_dir=self.ads_config_dir, **flags)

    def write_error(self, status_code, **kwargs):
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        if isinstance(error, PackError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(error.to_dict()))
            return
        super().write_error(status_code, **kwargs)

    def _handle_request_exception(self, e):
        if isinstance(e, PackError):
            self.send_error(e.status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)


class StatusHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/status: version, builders, pack folder, store and auth in effect."""
        settings = self.load_settings()
        info = await tornado.ioloop.IOLoop.current().run_in_executor(None, status, settings)
        self.finish(json.dumps(info))


def route_table() -> list[tuple[str, type]]:
    """Every route of the extension, relative to the server's base URL."""
    return [
        (rf"/{ROUTE_PREFIX}/status", StatusHandler),
    ]


def setup_handlers(server_app) -> None:
    web_app = server_app.web_app
    base_url = web_app.settings["base_url"]
    handlers = [(url_path_join(base_url, route), handler) for route, handler in route_table()]
    web_app.add_handlers(".*$", handlers)
