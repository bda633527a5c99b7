"""A tiny Sphinx extension: the ``benchmark-tables`` directive renders ``benchmarks/results/*.json``.

Each benchmark script ``benchmarks/NAME.py`` writes ``benchmarks/results/NAME.json``
(``bench_`` prefixes may be dropped on either side). At build time the directive
reads every JSON file and turns it into tables, so the book always shows the
numbers last measured; a script with no JSON file yet is listed as
"not yet measured". Rendering rules, so any reasonable JSON shape shows up:

* scalars (``device``, ``ratio``, ``date``, ...) -> one "field | value" table, nested
  objects flattened into it as ``outer.inner``;
* a list of objects (at any depth) -> its own table, one row per object, the union of
  their (flattened) keys as columns;
* an object whose values are all objects (at any depth) -> its own table, one row per key.

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


def _is_row_list(value) -> bool:
    """A non-empty list of objects: becomes its own table, one row per object."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _is_row_dict(value) -> bool:
    """A non-empty object whose values are all objects: its own table, one row per key."""
    return isinstance(value, dict) and bool(value) and all(isinstance(v, dict) for v in value.values())


def _flatten(prefix: str, value: dict, out: list, *, keep_tables: bool = False) -> None:
    """Append ``(dotted.key, scalar)`` pairs of ``value`` to ``out``, recursing into objects.

    With ``keep_tables=False`` (the "field | value" table) the parts that get their own
    table are left out; with ``keep_tables=True`` (a row of a table) they are kept as text.
    """
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if not keep_tables and (_is_row_dict(item) or _is_row_list(item)):
            continue
        if isinstance(item, dict) and item:
            _flatten(name, item, out, keep_tables=keep_tables)
        else:
            out.append((name, item))


def _collect_tables(prefix: str, value: dict, out: list) -> None:
    """Find every table-shaped part of ``value`` (at any depth) as ``(dotted.key, part)``."""
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if _is_row_dict(item) or _is_row_list(item):
            out.append((name, item))
        elif isinstance(item, dict):
            _collect_tables(name, item, out)


def _rows_table(key: str, value) -> nodes.table:
    """A table from a list of objects, or from an object of objects (its keys become a column)."""
    labelled = list(value.items()) if isinstance(value, dict) else [(None, item) for item in value]
    rows, columns = [], []
    for label, item in labelled:
        flat: list = []
        _flatten("", item, flat, keep_tables=True)
        row = dict(flat)
        columns += [c for c in row if c not in columns]
        rows.append((label, row))
    header = ([key] if isinstance(value, dict) else []) + columns
    body = [([str(label)] if isinstance(value, dict) else []) + [_format(row.get(c, "")) for c in columns]
            for label, row in rows]
    return _table(header, body)


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
    tables: list = []
    _collect_tables("", result, tables)
    for key, value in tables:
        out.append(nodes.paragraph(text=f"{key}:"))
        out.append(_rows_table(key, value))
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


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Keep one copy of each identical script: inline scripts added with ``add_js_file(None, body=...)``
    (sphinx-thebe, sphinx-togglebutton) reach the page twice under Sphinx 7.4 (once with filename
    None, once with ""), and the second ``const THEBE_JS_URL`` is a SyntaxError in every page."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", None) or "", repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts, priority=999)  # after the handlers that add scripts
    app.add_config_value("benchmarks_dir", "../benchmarks", "env")
    app.add_directive("benchmark-tables", BenchmarkTables)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
