"""The sign-off on the Allure report's first screen: the verdict as the report's title, the whole sign-off above
Allure's own results.

Allure 3 shows a report's name at the top of its home page, so ``make qa`` names the report after the verdict
(:meth:`SignOff.verdict_line`). Allure shows the sign-off Markdown only behind a "Global Attachments" tab, in a frame a
few lines high, so the single-file report also gets the sign-off as a panel of plain HTML above Allure's app: the
verdict, why, and every table, readable without a click (long scenario lists fold). The panel is built from the same
Markdown ``harness signoff`` writes, so the two cannot differ.
"""

from __future__ import annotations

import html
import re

__all__ = ["PANEL_ID", "inject_panel", "markdown_panel"]

PANEL_ID = "signoff-panel"
_APP_ROOT = '<div id="app"></div>'
_FOLD_AFTER = 3
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_STYLE = f"""<style>
#{PANEL_ID} {{ max-width: 1000px; margin: 16px auto 0; padding: 16px 24px; background: #fff; border-radius: 12px;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; }}
#{PANEL_ID} h1 {{ font-size: 18px; margin: 0 0 8px; }}
#{PANEL_ID} h2 {{ font-size: 15px; margin: 16px 0 6px; }}
#{PANEL_ID} .verdict {{ font-size: 16px; padding: 8px 12px; border-radius: 8px; margin: 0 0 8px; }}
#{PANEL_ID} .ready {{ background: #dafbe1; color: #116329; }}
#{PANEL_ID} .not-ready {{ background: #ffebe9; color: #a40e26; }}
#{PANEL_ID} table {{ border-collapse: collapse; width: 100%; }}
#{PANEL_ID} th, #{PANEL_ID} td {{ border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }}
#{PANEL_ID} td.FAILED, #{PANEL_ID} td.NOT-PROVEN {{ color: #a40e26; font-weight: 600; }}
#{PANEL_ID} td.proven {{ color: #116329; }}
#{PANEL_ID} summary {{ cursor: pointer; }}
</style>"""


def markdown_panel(markdown: str, verdict: str, ready: bool) -> str:
    """The panel: ``verdict`` as a coloured banner, then the sign-off's Markdown (headings, tables, lists and
    paragraphs as :mod:`harness.report.signoff` writes them) as HTML. Every text is escaped."""
    out = [_STYLE, f'<section id="{PANEL_ID}" aria-label="Sign-off">']
    css = "ready" if ready else "not-ready"
    out.append(f'<p class="verdict {css}" data-verdict="{"READY" if ready else "NOT READY"}">{_inline(verdict)}</p>')
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("|"):
            table = []
            while index < len(lines) and lines[index].startswith("|"):
                table.append(lines[index])
                index += 1
            out.append(_table(table))
            continue
        if line.startswith("- "):
            items = []
            while index < len(lines) and lines[index].startswith("- "):
                items.append(f"<li>{_inline(lines[index][2:])}</li>")
                index += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        if line.startswith("## "):
            out.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        index += 1
    out.append("</section>")
    return "\n".join(out)


def inject_panel(page: str, panel: str) -> str:
    """The report page with ``panel`` above Allure's app (replacing a panel injected before)."""
    page = re.sub(
        rf"<style>\s*#{PANEL_ID}.*?</section>\n?", "", page, flags=re.DOTALL
    )  # a second injection replaces the first
    if page.count(_APP_ROOT) != 1:
        raise ValueError(f"the report page does not have Allure's app root {_APP_ROOT!r} once")
    return page.replace(_APP_ROOT, panel + "\n" + _APP_ROOT)


def _cells(row: str) -> list[str]:
    inner = row.strip()[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def _table(rows: list[str]) -> str:
    header, body = _cells(rows[0]), [_cells(row) for row in rows[2:]]
    out = ["<table><thead><tr>", *(f"<th>{_inline(cell)}</th>" for cell in header), "</tr></thead><tbody>"]
    for cells in body:
        out.append("<tr>")
        for column, cell in enumerate(cells):
            css = (
                f' class="{cell.replace(" ", "-")}"'
                if column == 1 and cell in ("FAILED", "NOT PROVEN", "proven")
                else ""
            )
            out.append(f"<td{css}>{_cell(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _cell(cell: str) -> str:
    parts = cell.split("<br>")
    shown = "<br>".join(_inline(part) for part in parts)
    if len(parts) <= _FOLD_AFTER:
        return shown
    return f"<details><summary>{len(parts)} scenarios</summary>{shown}</details>"


def _inline(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", html.escape(text, quote=False))
