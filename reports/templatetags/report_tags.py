"""A review's report files, shown on the reviews app's cycle and heatmap pages (the reviews app
imports no higher app, so its templates load these tags instead); and the report's own
long lists, written in one pass rather than by a template node per cell: the appendix's
parts and the team articles of a part.
"""

from functools import lru_cache

from django import template
from django.utils.translation import gettext, ngettext, pgettext

from reports import services
from strategy.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def cycle_reports(cycle) -> dict:
    """The latest file of each format (`files`), whether one is still being built (`busy`:
    the page then polls their status) and what the links to them change with, for the cache
    key of a part of the page that shows them (`key`): one query."""
    files = services.latest_report_files(cycle)
    return {
        "files": files,
        "busy": any(r.is_active for r in files),
        "key": ",".join(f"{r.pk}-{r.format}-{r.state}" for r in files),
    }


def _joined(parts: list, between: str = "") -> str:
    """Safe parts of HTML as one, in a single format_html."""
    if not parts:
        return ""
    return format_html(between.join(["{}"] * len(parts)), *parts)


@lru_cache(maxsize=4096)
def _cell(text, css: str | None = None) -> str:
    """A table cell, each distinct one written once per process (a handful of classes and
    figures out of 100)."""
    if css is None:
        return format_html("<td>{}</td>", text)
    return format_html('<td class="{}">{}</td>', css, text)


@register.simple_tag
def heat_cells(cells: list[tuple[str, str]]) -> str:
    """A row's heatmap cells, each (CSS class, figure) as writers._heat gives them."""
    return _joined([_cell(text, css) for css, text in cells])


@register.simple_tag
def figure_cells(values: list, empty: str = "") -> str:
    """A row's figures (formatted already), `empty` for those that are None or ""."""
    return _joined([_cell(v or empty) for v in values])


@register.simple_tag
def appendix_parts(parts: list[dict], shown=None, part_url: str = "", for_pdf: bool = False):
    """The appendix's parts as the contents list them: in the PDF, each with the page it
    starts on (999 until known); on screen, a link to each, the one `shown` marked."""
    if not parts:
        return format_html("<li>{}</li>", gettext("No team."))
    shown_number = shown["number"] if shown else None
    # Translators: an appendix part in the report's contents: its number and title.
    appendix = gettext("Appendix %(number)s: %(title)s")
    if for_pdf:
        items = [
            format_html(
                '<li><span class="part" data-page="{}">{}{}</span></li>',
                p.get("page") or "999",
                appendix % {"number": p["number"], "title": p["title"]},
                format_html(
                    ' <span class="counts">({})</span>',
                    ngettext("%(count)s team page", "%(count)s team pages", p["pages"])
                    % {"count": p["pages"]},
                )
                if p.get("pages") is not None and p["pages"] < p["count"]
                else "",
            )
            for p in parts
        ]
    else:
        shown_below = gettext("shown below")
        items = [
            format_html(
                '<li{}><a href="{}{}/">{}</a> <span class="counts">({})</span>{}</li>',
                format_html(' aria-current="{}"', "page") if p["number"] == shown_number else "",
                part_url,
                p["number"],
                appendix % {"number": p["number"], "title": p["title"]},
                # Translators: how many teams an appendix part has, and how many submitted.
                ngettext(
                    "%(count)s team: %(submitted)s submitted, %(missing)s not",
                    "%(count)s teams: %(submitted)s submitted, %(missing)s not",
                    p["count"],
                )
                % {"count": p["count"], "submitted": p["submitted"], "missing": p["not_submitted"]},
                format_html(' <span class="shown">{}</span>', shown_below)
                if p["number"] == shown_number
                else "",
            )
            for p in parts
        ]
    return _joined(items, "\n  ")


@register.simple_tag
def team_article(t: dict) -> str:
    """One team of an appendix part (reports.writers._team_row's): its fit and state, its mean
    lever scores, its items with their evidence and blockers, and its commitments."""
    levers = t["lever_texts"]
    evidence_label, blockers_label = gettext("Evidence:"), gettext("Blockers:")
    items = [
        format_html(
            '<div class="item">\n      <h4>{}{}</h4>\n      {}\n      {}\n    </div>',
            i["objective_title"],
            format_html(": {}", i["fit_text"]) if i["fit_text"] else "",
            format_html('<p><span class="label">{}</span> {}</p>', evidence_label, i["evidence"])
            if i["evidence"]
            else "",
            format_html('<p><span class="label">{}</span> {}</p>', blockers_label, i["blockers"])
            if i["blockers"]
            else "",
        )
        for i in t["items"]
    ]
    commitments = ""
    if t["commitments"]:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    c["objective_title"],
                    c["lever_label"],
                    c["statement"],
                    format_html(" ({})", c["amount_text"]) if c["amount_text"] else "",
                    c["due_on"],
                    c["status_label"],
                )
                for c in t["commitments"]
            ),
        )
        commitments = format_html(
            '<table class="commitments">\n      <caption>{}</caption>\n      <thead><tr>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}'
            '</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead>\n      '
            "<tbody>{}</tbody>\n    </table>",
            gettext("Commitments"),
            pgettext("column", "Objective"),
            pgettext("column", "Lever"),
            pgettext("column", "Statement"),
            pgettext("column", "Due"),
            pgettext("column", "Status"),
            rows,
        )
    return format_html(
        '<article class="team">\n    <h3>{}: {} <span class="state">({})</span></h3>\n'
        '    <table class="levers">\n      <caption>{}</caption>\n'
        "      <tr>{}</tr>\n      <tr>{}</tr>\n    </table>\n    {}\n    {}\n  </article>",
        t["name"],
        t["score_text"] or gettext("no score"),
        t["state_label"].lower(),
        gettext("Mean lever scores (1 to 5)"),
        format_html_join("", '<th scope="col">{}</th>', ((label,) for label, _ in levers)),
        format_html_join("", "<td>{}</td>", ((v or "—",) for _, v in levers)),
        _joined(items, "\n    "),
        commitments,
    )
