"""Small HTML builders for the report: one self-contained page, inline CSS, no scripts, no fetches.

Every string that comes from data (player names, config text, warnings) goes through :func:`esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; margin-top: 2rem; }
p.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.met td.status { background: #d8f0d8; color: #1a5e1a; font-weight: 600; }
tr.not-met td.status { background: #f8dcdc; color: #8a1c1c; font-weight: 600; }
tr.no-data td.status { background: #eeeeee; color: #555; }
figure { margin: 1rem 0 1.5rem; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
figcaption { color: #555; font-size: 0.9rem; }
ul.notes li, ul.warnings li { color: #7a5a00; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; font-size: 0.85rem; }
table.h2h td { text-align: center; min-width: 3.2rem; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.1rem 1rem; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def num(value: Any, digits: int = 1, percent: bool = False) -> str:
    """A number for a table cell; "–" for missing or not-a-number values."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "–" if value in (None, "") else esc(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "–" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    if percent:
        return f"{100 * value:.{digits}f} %"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def table(
    headers: Sequence[str] | None,
    rows: Iterable[Sequence[Any]],
    table_id: str | None = None,
    numeric: Sequence[bool] | None = None,
    css: str | None = None,
    row_classes: Sequence[str] | None = None,
) -> str:
    """A table of already formatted cells (strings are escaped here; pass :class:`Raw` for markup)."""
    attrs = (f' id="{esc(table_id)}"' if table_id else "") + (f' class="{esc(css)}"' if css else "")
    out = [f"<table{attrs}>"]
    if headers:
        out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead>")
    out.append("<tbody>")
    for k, row in enumerate(rows):
        cls = f' class="{esc(row_classes[k])}"' if row_classes and k < len(row_classes) else ""
        cells = []
        for i, cell in enumerate(row):
            is_num = bool(numeric and i < len(numeric) and numeric[i])
            cells.append(cell_html(cell, "num" if is_num else None))
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


class Raw(str):
    """Markup that must not be escaped (built here from escaped parts)."""


class Cell:
    """A cell with a class or an inline style (for the head-to-head colours)."""

    def __init__(
        self, content: Any, css: str | None = None, style: str | None = None, title: str | None = None
    ):
        self.content, self.css, self.style, self.title = content, css, style, title


def cell_html(cell: Any, css: str | None = None) -> str:
    style = title = ""
    if isinstance(cell, Cell):
        css = cell.css or css
        style = f' style="{esc(cell.style)}"' if cell.style else ""
        title = f' title="{esc(cell.title)}"' if cell.title else ""
        cell = cell.content
    body = cell if isinstance(cell, Raw) else esc(cell)
    cls = f' class="{esc(css)}"' if css else ""
    return f"<td{cls}{style}{title}>{body}</td>"


def figure(src: str, alt: str, caption: str, fig_id: str, size: tuple[int, int] | None = None) -> str:
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return (
        f'<figure id="{esc(fig_id)}"><img src="{esc(src)}" alt="{esc(alt)}"{dims}>'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def bullet_list(items: Iterable[str], css: str) -> str:
    items = list(items)
    if not items:
        return ""
    return f'<ul class="{esc(css)}">' + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        # no favicon request: the page fetches nothing but its PNGs
        '<link rel="icon" href="data:,">\n'
        f"<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
