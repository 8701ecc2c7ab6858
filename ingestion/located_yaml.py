"""A YAML document read node by node, so that every value keeps the line it came from.

For inputs people write by hand (``comp_plans.yaml``): an error names the file,
the YAML line, what is wrong there and what to do. ``LocatedYaml`` gives the
nodes of the document (mappings with YAML merge keys resolved and duplicate keys
refused, lists, scalars) and typed values read from them; a reader of a format
subclasses it and says what each value must be.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ingestion.readers import ExportError

MISSING = object()
"""What ``LocatedYaml.get`` returns for a key the mapping does not have."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL_PLACES = 4
_DECIMAL_LIMIT = Decimal(10) ** (20 - _DECIMAL_PLACES)


@dataclass
class YamlMapping:
    """A YAML mapping: its node and key -> (key node, value node), merge keys (``<<``) resolved."""

    node: MappingNode
    entries: dict[str, tuple[Node, Node]]

    @property
    def line(self) -> int:
        return line_of(self.node)


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null"


class LocatedYaml:
    def __init__(self, relative_path: str, text: str):
        self.path = relative_path
        self.text = text
        self._constructor = yaml.SafeLoader("")
        self._merging: set[int] = set()

    # -- errors ------------------------------------------------------------------------------------------------

    def fail(self, line: int, what: str, todo: str) -> ExportError:
        return ExportError(f"{self.path} line {line}: {what}. {todo}")

    # -- generic node access -----------------------------------------------------------------------------------

    def compose(self) -> Node | None:
        try:
            return yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else 1
            problem = ": ".join(part for part in (error.context, error.problem) if part)
            if error.context_mark is not None and mark is not None and error.context_mark.line != mark.line:
                problem += f"; it started on line {error.context_mark.line + 1}"
            raise self.fail(
                line,
                f"not readable as YAML ({problem})",
                "Fix the YAML syntax at or just before that line (indentation, a missing colon or "
                "an unclosed bracket or quote) and run again",
            ) from error
        except yaml.YAMLError as error:
            raise self.fail(1, f"not readable as YAML ({error})", "Fix the YAML syntax and run again") from error

    def value(self, node: Node, what: str) -> Any:
        """The Python value of a scalar node (a mapping or a list is an error here)."""
        if not isinstance(node, ScalarNode):
            kind = "a mapping" if isinstance(node, MappingNode) else "a list"
            raise self.fail(
                line_of(node), f"{what} is {kind} where a single value is expected", f"Write a single value for {what}"
            )
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:
            raise self.fail(
                line_of(node), f"{what} {node.value!r} cannot be read ({error})", f"Correct {what}"
            ) from error

    def mapping(self, node: Node, what: str, todo: str) -> YamlMapping:
        if not isinstance(node, MappingNode):
            found = "a list" if isinstance(node, SequenceNode) else f"{getattr(node, 'value', '')!r}"
            raise self.fail(line_of(node), f"{what} must be a mapping of keys to values, found {found}", todo)
        entries: dict[str, tuple[Node, Node]] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merges.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                continue  # not a key of the format: an unknown key, allowed
            key = key_node.value
            if key in entries:
                raise self.fail(
                    line_of(key_node),
                    f"key {key!r} of {what} appears twice (also on line {line_of(entries[key][0])})",
                    "Keep one of them",
                )
            entries[key] = (key_node, value_node)
        # YAML merge keys (<<: *anchor): keys written in the mapping win, then the first merged mapping.
        for merged in merges:
            sources = merged.value if isinstance(merged, SequenceNode) else [merged]
            for source in sources:
                if id(source) in self._merging:
                    raise self.fail(line_of(source), f"{what} merges (<<) a mapping into itself", "Remove the cycle")
                self._merging.add(id(source))
                try:
                    inherited = self.mapping(source, f"the mapping merged into {what}", "Merge (<<) only mappings")
                finally:
                    self._merging.discard(id(source))
                for key, entry in inherited.entries.items():
                    entries.setdefault(key, entry)
        return YamlMapping(node, entries)

    def sequence(self, node: Node, what: str, todo: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            found = "a mapping" if isinstance(node, MappingNode) else f"{getattr(node, 'value', '')!r}"
            raise self.fail(line_of(node), f"{what} must be a list, found {found}", todo)
        return list(node.value)

    def get(self, item: YamlMapping, key: str) -> Node | object:
        entry = item.entries.get(key)
        return MISSING if entry is None else entry[1]

    def require(self, item: YamlMapping, key: str, what: str, todo: str) -> Node:
        node = self.get(item, key)
        if node is MISSING:
            raise self.fail(item.line, f"{what} has no {key!r}", todo)
        return node  # type: ignore[return-value]

    # -- typed values ------------------------------------------------------------------------------------------

    def text_value(self, node: Node, what: str, todo: str) -> str:
        value = self.value(node, what)
        if not isinstance(value, str) or not value.strip():
            shown = "empty" if value is None or value == "" else f"{node.value!r}, not text"
            raise self.fail(line_of(node), f"{what} is {shown}", todo)
        return value.strip()

    def number(self, node: Node, what: str, todo: str) -> float:
        value = self.value(node, what)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown = "empty" if value is None else repr(node.value)
            raise self.fail(line_of(node), f"{what} is {shown}, not a number", todo)
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(line_of(node), f"{what} is {node.value!r}, not a finite number", todo)
        return float(value)

    def amount(self, node: Node, what: str, todo: str) -> Decimal:
        """A money amount >= 0 as an exact decimal with at most 4 places."""
        number = self.number(node, what, todo)
        value = self.value(node, what)
        exact = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
        if number < 0:
            raise self.fail(line_of(node), f"{what} is negative ({node.value})", todo)
        try:
            fits = exact == exact.quantize(Decimal(1).scaleb(-_DECIMAL_PLACES)) and exact < _DECIMAL_LIMIT
        except InvalidOperation:
            fits = False
        if not fits:
            raise self.fail(
                line_of(node),
                f"{what} {node.value} has more than {_DECIMAL_PLACES} decimal places or is too large",
                todo,
            )
        return exact

    def date_value(self, node: Node, what: str, todo: str) -> dt.date:
        value = self.value(node, what)
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        shown = "empty" if value is None else repr(node.value)
        raise self.fail(line_of(node), f"{what} is {shown}, not a date YYYY-MM-DD", todo)
