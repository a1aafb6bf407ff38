"""What the operations table says to the other sides of the REST contract.

- `typescript()`: the frontend's job kinds, params and results (`src/operations.ts`,
  written by `python -m conda_pack_ext.operations.contract src/operations.ts`);
- `openapi_schemas()`: the job params and results as `server/openapi.yaml` must describe
  them (tests/test_operation_contract.py holds both files to the table).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .spec import Operation, Param
from .table import JOB_KINDS, OPERATIONS

TS_TYPES = {str: "string", bool: "boolean", int: "number", float: "number"}
JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number"}
HEADER = (
    "// Generated from conda_pack_ext/operations/table.py by\n"
    "// `python -m conda_pack_ext.operations.contract src/operations.ts`: do not edit.\n"
)


def type_name(kind: str, suffix: str) -> str:
    """`publish`, `Params` -> `PublishParams` (the schema and interface names)."""
    return "".join(part.capitalize() for part in kind.split("_")) + suffix


def _ts_type(param: Param) -> str:
    if param.choices:
        return " | ".join(f"'{choice}'" for choice in param.choices)
    return TS_TYPES[param.type]


def _ts_interface(operation: Operation) -> list[str]:
    lines = [
        f"/** {operation.help} */",
        f"export interface I{type_name(operation.name, 'Params')} {{",
    ]
    for param in operation.rest_params:
        lines += [f"  /** {param.help} */", f"  {param.name}?: {_ts_type(param)};"]
    return lines + ["}", ""]


def typescript() -> str:
    """The TypeScript module of the job kinds, their params and their results."""
    jobs = [OPERATIONS[kind] for kind in JOB_KINDS]
    lines = [HEADER, "/** The operations a job runs. */", "export type JobKind ="]
    lines += [f"  | '{kind}'" for kind in JOB_KINDS]
    lines[-1] += ";"
    lines.append("")
    for operation in jobs:
        lines += _ts_interface(operation)
    lines += ["/** The params of each job kind. */", "export interface IJobParamsOf {"]
    lines += [f"  {op.name}: I{type_name(op.name, 'Params')};" for op in jobs]
    lines += ["}", "", "/** The keys of each job kind's result (besides others it may add). */"]
    lines += ["export const JOB_RESULT_KEYS: { [K in JobKind]: readonly string[] } = {"]
    for op in jobs:
        keys = ", ".join(f"'{key}'" for key in op.result)
        lines.append(f"  {op.name}: [{keys}],")
    lines[-1] = lines[-1].rstrip(",")
    lines += ["};", ""]
    return "\n".join(lines)


def _json_schema(param: Param) -> dict:
    schema: dict = {"type": JSON_TYPES[param.type], "description": param.help}
    if param.choices:
        schema["enum"] = list(param.choices)
    return schema


def openapi_schemas() -> dict:
    """{"<Kind>Params": schema, "<Kind>Result": schema} for every job kind."""
    schemas = {}
    for kind in JOB_KINDS:
        operation = OPERATIONS[kind]
        schemas[type_name(kind, "Params")] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {p.name: _json_schema(p) for p in operation.rest_params},
        }
        schemas[type_name(kind, "Result")] = {
            "type": "object",
            "required": list(operation.result),
        }
    return schemas


def main(argv: list[str]) -> int:
    """Write src/operations.ts (or print it with no argument)."""
    text = typescript()
    if argv:
        Path(argv[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
