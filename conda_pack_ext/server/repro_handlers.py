"""REST routes of reproducible packs: the difference between two packs, for the panel's
"Compare with…". It parses its query, runs the core in a thread and answers JSON; errors
go through BaseHandler's mapping."""

from __future__ import annotations

import tornado

from ..errors import InvalidInput
from .handlers import BaseHandler

TRUE, FALSE = ("1", "true"), ("", "0", "false")


class DiffHandler(BaseHandler):
    @tornado.web.authenticated
    async def get(self):
        """GET /conda-pack-ext/diff: the packages that differ between packs A and B.

        Query: a and b (an installed env's slug, or a published pack's slug with
        a_published=1 or b_published=1). Answers {from, to, added, removed, changed}: added
        and removed rows {name, kind, version, build}, changed rows {name, kind,
        from_version, from_build, to_version, to_build}; 404 for an unknown env or pack.
        """
        a, b = self._required("a"), self._required("b")
        published = self._flag("a_published"), self._flag("b_published")
        answer = await self.in_thread(
            _compare, self.load_pack_settings(), a, b, published[0], published[1]
        )
        self.send_json(answer)

    def _required(self, name: str) -> str:
        value = self.get_query_argument(name, "")
        if not value:
            raise InvalidInput(f"{name} is required", "name an installed env or published pack")
        return value

    def _flag(self, name: str) -> bool:
        value = self.get_query_argument(name, "0")
        if value not in TRUE + FALSE:
            raise InvalidInput(f"{name} must be 0 or 1, got {value!r}")
        return value in TRUE


def _compare(settings, a: str, b: str, a_published: bool, b_published: bool) -> dict:
    # imported here: reading packs needs conda_pack and rattler, which stay out of the
    # server's start-up
    from ..compare import compare_packs

    return compare_packs(settings, a, b, a_published=a_published, b_published=b_published)


def repro_routes(prefix: str) -> list[tuple[str, type]]:
    """The reproducible packs' routes under /<prefix>/."""
    return [(rf"/{prefix}/diff", DiffHandler)]
