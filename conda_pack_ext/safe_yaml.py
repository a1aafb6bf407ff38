"""YAML from packs, stores and requests, read within bounds.

Environment files and manifests are untrusted input. A few hundred bytes of YAML aliases
expand into gigabytes once loaded (each alias repeats a whole list), and whatever we load
ends up in kernel.json files, listings and error messages. So every such document is read
by `load_yaml`: its size is checked before parsing, aliases and anchors are refused (no
environment file or manifest needs them), and while composing, strings, lists, mappings
and nesting are bounded. What it returns is at most about the size of its input.

`dump_yaml` writes without anchors, so that what we write reads back with `load_yaml`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InvalidInput

MAX_DOCUMENT_BYTES = 2 * 1024 * 1024  # real environment files and manifests are a few KB
MAX_STRING_CHARS = 4096
MAX_ITEMS = 10_000  # per list or mapping
MAX_DEPTH = 8  # env files need 4: document > dependencies > {pip: ...} > its list
PREVIEW_CHARS = 80


def shorten(value, limit: int = PREVIEW_CHARS) -> str:
    """`repr(value)` cut to `limit` characters, for error messages that quote input."""
    return clip(repr(value[: limit + 1] if isinstance(value, str) else value), limit)


def clip(text: str, limit: int = PREVIEW_CHARS) -> str:
    """`text` cut to `limit` characters."""
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


class BoundedSafeLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader that refuses aliases and anchors, and bounds what it composes."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _refused(event, "YAML anchors and aliases (&, *) are not accepted")
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_STRING_CHARS:
            raise _refused(event, f"a value is longer than {MAX_STRING_CHARS} characters")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _refused(event, f"the document nests deeper than {MAX_DEPTH} levels")
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)) and len(node.value) > MAX_ITEMS:
            raise _refused(event, f"a list or mapping has more than {MAX_ITEMS} entries")
        return node


def _refused(event, problem: str) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=problem, problem_mark=event.start_mark)


def load_yaml(text: str | bytes, where: str):
    """The document in `text`, parsed within the bounds above; InvalidInput naming `where`
    (and the line and column) otherwise."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"{where} is too large ({size} bytes; at most {MAX_DOCUMENT_BYTES} are read)",
            "an environment file or manifest is a few kilobytes of names and versions",
        )
    try:
        return yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        position = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "invalid YAML"
        raise InvalidInput(
            f"{where} is not valid YAML{position}: {problem}",
            "fix the file; an environment file is a mapping with name, channels, "
            "dependencies (and an optional manifest: section)",
        ) from None
    except (yaml.YAMLError, ValueError) as error:  # ValueError: e.g. a bad date
        raise InvalidInput(f"{where} is not valid YAML: {clip(str(error), 200)}") from None


def read_yaml_file(path: Path, where: str | None = None):
    """The document in the file at `path`, read within the bounds above (a file larger than
    MAX_DOCUMENT_BYTES is refused without reading it whole); OSError when unreadable."""
    where = where or str(path)
    with open(path, "rb") as stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if len(data) > MAX_DOCUMENT_BYTES:  # cut inside a character: too large anyway
            return load_yaml(data, where)
        raise InvalidInput(f"{where} is not UTF-8 text: {error}") from None
    return load_yaml(text, where)


class _NoAnchorDumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True


def dump_yaml(document) -> str:
    """`document` as block YAML in its own key order, without anchors or aliases."""
    return yaml.dump(document, Dumper=_NoAnchorDumper, sort_keys=False)
