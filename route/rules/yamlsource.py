"""Loading YAML as untrusted input: safe loading only, bounded size, and a map from each value's
path to its line so every error can name `FILE:LINE`."""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 1 << 20
MAX_NODES = 50_000
MAX_DEPTH = 64  # nesting of mappings and lists; a real rule file needs about 12

Path_ = tuple[str | int, ...]


class YamlError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML safely; return the data and {path: 1-based line}."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise YamlError(1, f"file is larger than {MAX_BYTES} bytes")
    _check_depth(text)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError((mark.line + 1) if mark else 1, f"YAML syntax: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(1, f"YAML syntax: {exc}") from None
    if root is None:
        return None, {}
    lines: dict[Path_, int] = {}
    count = 0
    stack: list[tuple[yaml.Node, Path_]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise YamlError(1, f"more than {MAX_NODES} values (or an alias bomb); split the file")
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                lines[(*path, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, (*path, i)))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # pragma: no cover - compose already parsed it
        raise YamlError(1, f"YAML: {exc}") from None
    return data, lines


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before anything recurses over it. PyYAML's parser
    streams events without recursion; its composer (and every validator after it) recurses per
    level, so `[[[[…]]]]` five thousand deep would otherwise end in a RecursionError."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else 1
                    raise YamlError(line, f"too deeply nested (more than {MAX_DEPTH} levels)")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError((mark.line + 1) if mark else 1, f"YAML syntax: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(1, f"YAML syntax: {exc}") from None


def resolve(data: Any, loc: tuple) -> Path_:
    """The parts of a validation error's `loc` that exist in `data` (union tags are dropped)."""
    path: Path_ = ()
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            continue
        path = (*path, part)
    return path


def line_for(data: Any, lines: dict[Path_, int], loc: tuple) -> int:
    """The line of the deepest part of `loc` that exists in `data`."""
    path = resolve(data, loc)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def dotted(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"
