"""The layers of socialcare and the one direction their imports may point.

    python -m socialcare.layers      # prints the import graph between packages; exit 1 on a
                                     # forbidden arrow (tests/test_layers.py runs the same check)

From the bottom up: `errors` (every error kind) → `settings` → `stream` (transport, schema, worker
loop) → `store` (case store tables and queries) → the domain packages `classify` (which keeps
its model versions and corrections in the store), `route` (rules, SLA, cases) and `ingest`
(sources, replies) → `desk` (web) → the application layer
(`cli`, `runtime`, `pipeline`), which wires everything. A package may import those below it,
never above; besides, no transport backend imports the worker loop.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: package → the packages it may import (its own modules always)
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "settings": {"errors"},
    "stream": {"errors"},
    "store": {"errors", "stream"},
    "classify": {"errors", "stream", "store"},
    "route": {"errors", "stream", "store", "classify"},
    "ingest": {"errors", "settings", "stream", "store", "classify"},
    "desk": {"errors", "settings", "stream", "store", "classify", "route", "ingest"},
    "app": {"errors", "settings", "stream", "store", "classify", "route", "ingest", "desk"},
}
#: (module, module it must not import): rules inside one package
FORBIDDEN_MODULES = [
    ("socialcare.stream.kafka", "socialcare.stream.worker"),
    ("socialcare.stream.embedded", "socialcare.stream.worker"),
    ("socialcare.stream.bus", "socialcare.stream.worker"),
]
APP = {"socialcare.cli", "socialcare.runtime", "socialcare.pipeline", "socialcare.layers"}


def package_of(module: str) -> str | None:
    """The layer a dotted module name belongs to, or None for anything outside socialcare."""
    parts = module.split(".")
    if parts[0] in ("classify", "route", "ingest"):
        return parts[0]
    if parts[0] != "socialcare" or len(parts) == 1:
        return None
    if any(module == m or module.startswith(m + ".") for m in APP):
        return "app"
    return parts[1] if parts[1] in ALLOWED else None


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("socialcare", "classify", "route", "ingest"):
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts).removesuffix(".__init__")
            found[name] = path
    return found


def imports_of(path: Path, module: str) -> set[str]:
    """Every module `path` imports, at the top or inside a function, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def graph() -> tuple[dict[tuple[str, str], set[str]], list[str]]:
    """(package arrows with the modules behind each, problems)."""
    modules = _modules()
    arrows: dict[tuple[str, str], set[str]] = defaultdict(set)
    problems: list[str] = []
    for module, path in sorted(modules.items()):
        source = package_of(module)
        if source is None:
            continue
        for target_module in sorted(imports_of(path, module)):
            target = package_of(target_module)
            if target is None or target == source:
                continue
            arrows[(source, target)].add(module)
            if target not in ALLOWED[source]:
                problems.append(
                    f"{path.relative_to(ROOT)}: {source} may not import {target} "
                    f"({target_module}); allowed: {', '.join(sorted(ALLOWED[source])) or 'nothing'}"
                )
        for banned_by, banned in FORBIDDEN_MODULES:
            if module == banned_by and any(
                m == banned or m.startswith(banned + ".") for m in imports_of(path, module)
            ):
                problems.append(f"{path.relative_to(ROOT)}: {module} may not import {banned}")
    return arrows, problems


def main() -> int:
    arrows, problems = graph()
    for (source, target), via in sorted(arrows.items()):
        print(f"{source:>8} -> {target:<8} ({len(via)} modules)")
    for problem in problems:
        print(f"FORBIDDEN {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
