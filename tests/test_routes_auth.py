"""Every route of the extension refuses requests without a login, for every verb."""

import re

import pytest
from tornado.httpclient import HTTPClientError

from conda_pack_ext.server.handlers import route_table

VERBS = ("get", "post", "put", "delete", "patch")
# A matching XSRF cookie and header, so that a refusal comes from the login check and not
# from the XSRF check that protects unsafe verbs anyway.
XSRF = "0123456789abcdef"
ANONYMOUS = {"Authorization": "", "Cookie": f"_xsrf={XSRF}", "X-XSRFToken": XSRF}


def concrete_path(pattern: str) -> str:
    """The route with each named group replaced by an example id."""
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: f"example-{m.group(1)}", pattern).lstrip("/")


def implemented(handler, verb: str) -> bool:
    method = getattr(handler, verb, None)
    return method is not None and "tornado.web" not in getattr(method, "__module__", "")


ROUTE_VERBS = [
    (pattern, verb)
    for pattern, handler in route_table()
    for verb in VERBS
    if implemented(handler, verb)
]


def test_every_route_has_a_verb():
    patterns = {pattern for pattern, _ in ROUTE_VERBS}
    assert patterns == {pattern for pattern, _ in route_table()}


@pytest.mark.parametrize(("pattern", "verb"), ROUTE_VERBS)
async def test_route_refuses_anonymous_requests(jp_fetch, pattern, verb):
    body = "{}" if verb in ("post", "put", "patch") else None
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch(
            concrete_path(pattern),
            method=verb.upper(),
            body=body,
            headers=ANONYMOUS,
            allow_nonstandard_methods=True,
        )
    answer = refused.value
    assert answer.code == 403, f"{verb.upper()} {pattern} answered {answer.code}"
    assert b"xsrf" not in (answer.response.body or b"").lower()


@pytest.mark.parametrize("path", ["conda-pack-ext/status", "conda-pack-ext/jobs"])
async def test_route_answers_with_a_token(jp_fetch, path):
    response = await jp_fetch(path)
    assert response.code == 200
