"""One declaration per operation (conda_pack_ext/operations/table.py): the command line,
the REST job validation, openapi.yaml and the frontend's TypeScript types all agree with
it, so that a param added in the table and nowhere else fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import conda_pack_ext.server as server
from conda_pack_ext.cli import build_parser
from conda_pack_ext.errors import InvalidInput
from conda_pack_ext.operations import JOB_KINDS, OPERATIONS, validate_params
from conda_pack_ext.operations.contract import openapi_schemas, type_name, typescript

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((Path(server.__file__).parent / "openapi.yaml").read_text())
# the flags every command has, beside its operation's params
COMMON_DESTS = {"help", "json", "ads_config", "debug"}
SAMPLES = {str: "x", bool: True, int: 3, float: 2.5}
WRONG = {str: 5, bool: "yes", int: "3", float: "2.5"}


def subcommands() -> dict:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]
    return subparsers.choices


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_the_command_line_has_exactly_the_declared_flags(name):
    operation = OPERATIONS[name]
    command = subcommands()[name]
    flags = {a.dest: tuple(a.option_strings) or (a.dest,) for a in command._actions}
    declared = {p.name: p.cli_flags for p in operation.params if p.cli}
    assert {dest: flags[dest] for dest in declared} == declared
    assert set(flags) - COMMON_DESTS == set(declared)


def test_every_verb_is_declared_once():
    assert set(subcommands()) == set(OPERATIONS)


@pytest.mark.parametrize("kind", JOB_KINDS)
def test_rest_accepts_each_declared_param_and_refuses_the_rest(kind):
    operation = OPERATIONS[kind]
    for param in operation.rest_params:
        value = param.choices[0] if param.choices else SAMPLES[param.type]
        with pytest.raises(InvalidInput) as refused:
            validate_params(kind, {param.name: WRONG[param.type]})
        assert param.name in refused.value.message
        try:
            validate_params(kind, {param.name: value})
        except InvalidInput as error:  # only the groups may still be unmet
            assert "needs" in error.message, error.message
    with pytest.raises(InvalidInput, match="unknown parameter"):
        validate_params(kind, {"no_such_param": "x"})
    for param in operation.params:
        if not param.rest:  # command line only: refused, saying why when it can
            with pytest.raises(InvalidInput) as refused:
                validate_params(kind, {param.name: SAMPLES[param.type]})
            said = refused.value.message + refused.value.hint
            assert param.name in said


def test_openapi_describes_the_declared_params_and_results():
    schemas = SPEC["components"]["schemas"]
    assert schemas["JobKind"]["enum"] == list(JOB_KINDS)
    refs = [item["$ref"].rsplit("/", 1)[-1] for item in schemas["JobParams"]["oneOf"]]
    assert refs == [type_name(kind, "Params") for kind in JOB_KINDS]
    for name, expected in openapi_schemas().items():
        assert schemas.get(name) == expected, f"openapi.yaml's {name} differs from the table"


def test_the_event_schema_lists_the_job_kinds():
    event = yaml.safe_load(Path(server.JOB_EVENT_SCHEMA_PATH).read_text())
    assert event["properties"]["kind"]["enum"] == list(JOB_KINDS)


def test_the_typescript_types_are_generated_from_the_table():
    committed = (ROOT / "src" / "operations.ts").read_text()
    assert committed == typescript(), (
        "src/operations.ts is out of date: run "
        "`python -m conda_pack_ext.operations.contract src/operations.ts`"
    )
