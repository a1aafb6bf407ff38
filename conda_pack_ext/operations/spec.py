"""How an operation and its parameters are declared, and what follows from a declaration.

Each operation is declared once (its table is `operations/table.py`): its parameters with
type, default, help, command-line spellings and whether they are settings. The CLI's
argparse, the REST job validation, the TypeScript types and the OpenAPI check are derived
from these declarations, so adding a flag is one edit here plus its use in the core.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from ..errors import InvalidInput

# Text params are bounded: a request body can carry anything (an environment file's text
# is the one large value, declared with its own limit).
MAX_TEXT_CHARS = 4096
TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number"}


@dataclass(frozen=True)
class Param:
    """One parameter of an operation, as the CLI, REST jobs and the panel know it."""

    name: str
    help: str
    type: type = str  # str, bool, int or float
    flags: tuple[str, ...] = ()  # CLI spellings; default: --name-with-dashes
    default: object = None
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    setting: bool = False  # overrides the setting of that name (config.ini)
    required: bool = False
    positional: bool = False
    cli: bool = True  # False: REST only (e.g. an environment file's text)
    rest: bool = True  # False: command line only (e.g. an output file)
    max_chars: int = MAX_TEXT_CHARS
    # why REST does not take a command-line-only param (said when a request gives it)
    rest_note: str = ""
    # what the command line passes for a param it has no flag for (ADS's CLI defaults)
    cli_value: object = None

    @property
    def cli_flags(self) -> tuple[str, ...]:
        if self.positional:
            return (self.name,)
        return self.flags or ("--" + self.name.replace("_", "-"),)

    def check(self, value) -> None:
        """Refuse a REST value of the wrong type, out of the choices or too long."""
        if self.type is bool:
            ok = isinstance(value, bool)
        elif self.type is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif self.type is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            shown = repr(value)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise InvalidInput(
                f"parameter {self.name} must be {TYPE_NAMES[self.type]}, got {shown}"
            )
        if self.type is str and len(value) > self.max_chars:
            raise InvalidInput(
                f"parameter {self.name} is too long ({len(value)} characters)",
                f"at most {self.max_chars} characters",
            )
        if self.choices and value not in self.choices:
            raise InvalidInput(
                f"parameter {self.name} must be one of {', '.join(self.choices)}, got {value!r}"
            )


@dataclass(frozen=True)
class Operation:
    """One verb: what runs it, its parameters, and how it can be reached."""

    name: str
    run: str  # "module:function", f(params, settings, progress) -> dict
    help: str
    params: tuple[Param, ...]
    description: str = ""
    job: bool = True  # REST `POST jobs` runs it as a kind
    # groups of params of which exactly one must be given (the CLI's required
    # mutually exclusive groups; REST checks the same)
    one_of: tuple[tuple[str, ...], ...] = ()
    # groups of params of which at most one may be given
    at_most_one: tuple[tuple[str, ...], ...] = ()
    cli_name: str | None = None  # the verb on the command line, when it differs
    result: tuple[str, ...] = ()  # the keys of its JSON answer
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {p.name: p for p in self.params})

    @property
    def rest_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.rest)

    def validate(self, params, rest: bool = True) -> None:
        """Refuse params that do not fit the declaration: unknown names, wrong types,
        missing or conflicting ones. `rest`: as a REST job gets them (the params it may
        not set, such as a command line's output file, are unknown there)."""
        if not isinstance(params, dict):
            raise InvalidInput("params must be a JSON object")
        accepted = {p.name: p for p in (self.rest_params if rest else self.params)}
        for name in set(params) - set(accepted):
            if name in self.by_name and self.by_name[name].rest_note:
                raise InvalidInput(self.by_name[name].rest_note, f"leave out {name}")
        unknown = sorted(str(name) for name in set(params) - set(accepted))
        if unknown:
            raise InvalidInput(
                f"unknown parameter(s) for {self.name}: {', '.join(unknown)[:200]}",
                f"{self.name} accepts: {', '.join(sorted(accepted))}",
            )
        for name, value in params.items():
            if value is not None:
                accepted[name].check(value)
        given = {name for name, value in params.items() if value not in (None, False, "")}
        missing = [p.name for p in accepted.values() if p.required and p.name not in given]
        if missing:
            raise InvalidInput(f"{self.name} needs: {', '.join(missing)}")
        for group in self.one_of:
            if len(given & set(group)) != 1:
                choices = [name for name in group if name in accepted]
                raise InvalidInput(f"{self.name} needs exactly one of: {', '.join(choices)}")
        for group in self.at_most_one:
            if len(given & set(group)) > 1:
                raise InvalidInput(f"{self.name} takes only one of: {', '.join(group)}")


def add_arguments(parser: argparse.ArgumentParser, operation: Operation) -> None:
    """The operation's flags on its argparse parser, from its declaration."""
    groups: dict[tuple[str, ...], argparse._MutuallyExclusiveGroup] = {}
    for group in operation.one_of:
        groups[group] = parser.add_mutually_exclusive_group(required=True)
    for group in operation.at_most_one:
        groups[group] = parser.add_mutually_exclusive_group()
    for param in operation.params:
        if not param.cli:
            continue
        target = next((g for names, g in groups.items() if param.name in names), parser)
        kwargs: dict = {"help": param.help}
        if not param.positional:
            kwargs["dest"] = param.name
        if param.required and target is parser and not param.positional:
            kwargs["required"] = True
        if param.type is bool:
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = param.metavar
            if param.type in (int, float):
                kwargs["type"] = param.type
            if param.choices:
                kwargs["choices"] = param.choices
            if param.default is not None:
                kwargs["default"] = param.default
        target.add_argument(*param.cli_flags, **kwargs)
