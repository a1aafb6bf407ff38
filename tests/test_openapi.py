"""The OpenAPI file describes exactly the routes and verbs the server has."""

import re
from pathlib import Path

import yaml

import conda_pack_ext.server as server
from conda_pack_ext.jobs import JOB_STATES
from conda_pack_ext.operations import JOB_KINDS
from conda_pack_ext.server.handlers import ROUTE_PREFIX, route_table

from .test_routes_auth import VERBS, implemented

SPEC = yaml.safe_load((Path(server.__file__).parent / "openapi.yaml").read_text())


def spec_path(pattern: str) -> str:
    """/conda-pack-ext/jobs/(?P<job_id>...) -> /jobs/{job_id}"""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
    return path.removeprefix(f"/{ROUTE_PREFIX}")


def test_spec_and_routes_agree():
    served = {
        (spec_path(pattern), verb)
        for pattern, handler in route_table()
        for verb in VERBS
        if implemented(handler, verb)
    }
    described = {
        (path, verb) for path, item in SPEC["paths"].items() for verb in item if verb in VERBS
    }
    assert served == described


def test_spec_lists_the_job_kinds_and_states():
    schemas = SPEC["components"]["schemas"]
    assert set(schemas["JobKind"]["enum"]) == set(JOB_KINDS)
    assert tuple(schemas["JobState"]["enum"]) == JOB_STATES
    assert SPEC["servers"][0]["url"] == f"/{ROUTE_PREFIX}"


def test_every_operation_documents_its_answers():
    for path, item in SPEC["paths"].items():
        for verb, operation in item.items():
            if verb not in VERBS:
                continue
            assert operation.get("summary"), f"{verb} {path} has no summary"
            codes = set(operation["responses"])
            assert "403" in codes, f"{verb} {path} does not say it needs a login"
            assert codes & {"200", "202"}, f"{verb} {path} has no success answer"


def route_placeholder(group: re.Match) -> str:
    """How a docstring spells a route's variable part: <id> for a job, <slug>..."""
    return "<id>" if group.group(1) == "job_id" else f"<{group.group(1)}>"


def test_every_handler_verb_docstring_starts_with_its_route():
    for pattern, handler in route_table():
        for verb in VERBS:
            if implemented(handler, verb):
                doc = getattr(handler, verb).__doc__ or ""
                route = re.sub(r"\(\?P<(\w+)>[^)]*\)", route_placeholder, pattern)
                assert doc.startswith(f"{verb.upper()} {route}"), (verb, pattern, doc[:60])


def test_event_schema_lists_the_job_kinds_and_states():
    event = yaml.safe_load(Path(server.JOB_EVENT_SCHEMA_PATH).read_text())
    assert event["$id"] == server.JOB_EVENT_SCHEMA_ID
    assert set(event["properties"]["kind"]["enum"]) == set(JOB_KINDS)
    assert tuple(event["properties"]["state"]["enum"]) == JOB_STATES
