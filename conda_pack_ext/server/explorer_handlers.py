"""REST routes the Conda Packs explorer reads besides the panel's: Oracle's service packs,
what to paste to use a pack in OCI, and the conda packages of an installed env. Each one
parses its query, runs the core in a thread and answers JSON; errors go through
BaseHandler's mapping."""

from __future__ import annotations

import tornado

from ..env_packages import env_packages
from ..errors import InvalidInput
from ..oci_usage import TARGETS, usage
from ..service_packs import service_packs
from .handlers import BaseHandler

SLUG = r"(?P<slug>[^/]+)"
TRUE, FALSE = ("1", "true"), ("", "0", "false")


class ServicePacksHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/service-packs: Oracle's service ("Data Science") packs.

        Answers {index_uri, packs: [index entry fields + pack_uri]}; the index is the
        setting service_index, else the one of the region of the user's OCI auth.
        """
        uri, packs = await self.in_thread(service_packs, self.load_pack_settings())
        self.send_json({"index_uri": uri, "packs": packs})


class UsageHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/usage: what to paste to use a pack in an OCI service.

        Query: for (job|pipeline|model-deployment|dataflow), and the pack: slug with
        service=1 (a service pack), uri (oci://...), or slug (published in the store);
        region (default: the region of the user's OCI auth). Answers {target, pack: {slug,
        uri, python, type}, region, policy: {dynamic_group_rule, statements}, and env +
        ads_python (job, pipeline), runtime_yaml + runtime_yaml_text (model-deployment) or
        spark_conf + ads_python (dataflow)}.
        """
        target = self.get_query_argument("for", "")
        if target not in TARGETS:
            raise InvalidInput(f"for must be one of {', '.join(TARGETS)}, got {target!r}")
        service = self.get_query_argument("service", "0")
        if service not in TRUE + FALSE:
            raise InvalidInput(f"service must be 0 or 1, got {service!r}")
        params = {
            "target": target,
            "slug": self.get_query_argument("slug", ""),
            "conda_uri": self.get_query_argument("uri", ""),
            "service": service in TRUE,
            "region": self.get_query_argument("region", ""),
        }
        self.send_json(await self.in_thread(usage, params, self.load_pack_settings()))


class EnvPackagesHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self, slug):
        """GET /conda-pack-ext/envs/<slug>/packages: the conda packages of an env.

        Query: conda_pack_folder (default from the settings). Answers {slug, prefix,
        packages: [{name, version, build, channel}]} sorted by name; 404 for an unknown env.
        """
        folder = self.get_query_argument("conda_pack_folder", None)
        settings = self.load_pack_settings(conda_pack_folder=folder)
        self.send_json(await self.in_thread(env_packages, settings, slug))


def explorer_routes(prefix: str) -> list[tuple[str, type]]:
    """The explorer's routes under /<prefix>/."""
    return [
        (rf"/{prefix}/service-packs", ServicePacksHandler),
        (rf"/{prefix}/usage", UsageHandler),
        (rf"/{prefix}/envs/{SLUG}/packages", EnvPackagesHandler),
    ]
