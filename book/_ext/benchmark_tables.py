"""A tiny Sphinx extension: the ``benchmark-tables`` directive renders ``benchmarks/results/*.json``.

Each benchmark script ``benchmarks/NAME.py`` writes ``benchmarks/results/NAME.json``
(``bench_`` prefixes may be dropped on either side). At build time the directive
reads every JSON file and turns it into tables, so the book always shows the
numbers last measured; a script with no JSON file yet is listed as
"not yet measured". Rendering rules, so any reasonable JSON shape shows up:

* top-level scalars (``device``, ``ratio``, ``date``, ...) -> one "field | value" table;
* nested objects of scalars are flattened into that table as ``outer.inner``;
* a list of objects -> its own table, one row per object, the union of keys as columns;
* an object whose values are all objects -> a table with one row per key.

Usage in a page (MyST)::

    ```{benchmark-tables}
    ```

The folder is ``../benchmarks`` relative to the book, or the ``benchmarks_dir``
config value (relative to the book's source folder).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)


def _format(value) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.3e}"
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)) and all(not isinstance(v, (dict, list)) for v in value):
        return ", ".join(_format(v) for v in value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _is_scalar(value) -> bool:
    return not isinstance(value, (dict, list)) or (
        isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)
    )


def _flatten(prefix: str, value: dict, out: list) -> None:
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, dict) and all(_is_scalar(v) for v in item.values()):
            _flatten(name, item, out)
        elif _is_scalar(item):
            out.append((name, item))


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table(classes=["benchmark-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head_row = nodes.row()
    head += head_row
    for title in header:
        head_row += nodes.entry("", nodes.paragraph(text=title))
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        body += row
        for cell in cells:
            row += nodes.entry("", nodes.paragraph(text=cell))
    return table


def _stem(name: str) -> str:
    return name[len("bench_"):] if name.startswith("bench_") else name


def render_result(name: str, result) -> list[nodes.Node]:
    """Docutils nodes for one benchmark's JSON (any of the shapes in the module docstring)."""
    out: list[nodes.Node] = [nodes.rubric(text=f"{name}")]
    if not isinstance(result, dict):
        result = {"results": result}
    description = result.get("description")
    if isinstance(description, str):
        out.append(nodes.paragraph(text=description))
    scalars: list = []
    _flatten("", {k: v for k, v in result.items() if k != "description"}, scalars)
    if scalars:
        out.append(_table(["field", "value"], [[key, _format(value)] for key, value in scalars]))
    for key, value in result.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns: list[str] = []
            for item in value:
                columns += [c for c in item if c not in columns]
            out.append(nodes.paragraph(text=f"{key}:"))
            out.append(_table(columns, [[_format(item.get(c, "")) for c in columns] for item in value]))
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            columns = []
            for item in value.values():
                columns += [c for c in item if c not in columns]
            out.append(nodes.paragraph(text=f"{key}:"))
            out.append(_table([key] + columns,
                              [[str(row)] + [_format(item.get(c, "")) for c in columns] for row, item in value.items()]))
    return out


class BenchmarkTables(SphinxDirective):
    """Render every ``benchmarks/results/*.json`` (and list unmeasured benchmarks)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        folder = (Path(self.env.srcdir) / self.config.benchmarks_dir).resolve()
        results_dir = folder / "results"
        results = sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []
        scripts = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_")) if folder.is_dir() else []
        measured = {_stem(p.stem) for p in results}
        out: list[nodes.Node] = []
        for path in results:
            self.env.note_dependency(str(path))
            try:
                result = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                logger.warning(f"benchmark result {path.name} could not be read: {error}", location=self.get_location())
                continue
            out += render_result(path.stem, result)
        missing = [p.stem for p in scripts if _stem(p.stem) not in measured]
        if missing or not results:
            out.append(nodes.rubric(text="Not yet measured"))
            if missing:
                rows = [[name, f"benchmarks/{name}.py", "not yet measured"] for name in missing]
                out.append(_table(["benchmark", "script", "result"], rows))
            else:
                out.append(nodes.paragraph(text="No benchmark has been measured yet: not yet measured."))
        return out


def setup(app):
    app.add_config_value("benchmarks_dir", "../benchmarks", "env")
    app.add_directive("benchmark-tables", BenchmarkTables)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
