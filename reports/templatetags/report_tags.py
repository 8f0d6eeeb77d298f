"""A review's report files, shown on the reviews app's cycle and heatmap pages (the reviews app
imports no higher app, so its templates load these tags instead); and the report's own
long lists, written in one pass rather than by a template node per cell: the appendix's
parts and the team articles of a part.
"""

from django import template
from django.utils.html import format_html, format_html_join

from reports import services

register = template.Library()


@register.simple_tag
def cycle_reports(cycle) -> dict:
    """The latest file of each format (`files`) and whether one is still being built (`busy`:
    the page then polls their status): one query."""
    files = services.latest_report_files(cycle)
    return {"files": files, "busy": any(r.is_active for r in files)}


def _joined(parts: list, between: str = "") -> str:
    """Safe parts of HTML as one, in a single format_html."""
    if not parts:
        return ""
    return format_html(between.join(["{}"] * len(parts)), *parts)


@register.simple_tag
def appendix_parts(parts: list[dict], shown=None, part_url: str = "", for_pdf: bool = False):
    """The appendix's parts as the contents list them: in the PDF, each with the page it
    starts on (999 until known); on screen, a link to each, the one `shown` marked."""
    if not parts:
        return format_html("<li>{}</li>", "No team.")
    shown_number = shown["number"] if shown else None
    if for_pdf:
        items = [
            format_html(
                '<li><span class="part" data-page="{}">Appendix {}: {}</span></li>',
                p.get("page") or "999",
                p["number"],
                p["title"],
            )
            for p in parts
        ]
    else:
        items = [
            format_html(
                '<li{}><a href="{}{}/">Appendix {}: {}</a> <span class="counts">({} team{}: {} '
                "submitted, {} not)</span>{}</li>",
                format_html(' aria-current="{}"', "page") if p["number"] == shown_number else "",
                part_url,
                p["number"],
                p["number"],
                p["title"],
                p["count"],
                "" if p["count"] == 1 else "s",
                p["submitted"],
                p["not_submitted"],
                format_html(' <span class="shown">{}</span>', "shown below")
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
    items = [
        format_html(
            '<div class="item">\n      <h4>{}{}</h4>\n      {}\n      {}\n    </div>',
            i["objective_title"],
            format_html(": {}", i["fit_text"]) if i["fit_text"] else "",
            format_html('<p><span class="label">Evidence:</span> {}</p>', i["evidence"])
            if i["evidence"]
            else "",
            format_html('<p><span class="label">Blockers:</span> {}</p>', i["blockers"])
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
            '<table class="commitments">\n      <caption>Commitments</caption>\n      <thead><tr>'
            '<th scope="col">Objective</th><th scope="col">Lever</th><th scope="col">Statement'
            '</th><th scope="col">Due</th><th scope="col">Status</th></tr></thead>\n      '
            "<tbody>{}</tbody>\n    </table>",
            rows,
        )
    return format_html(
        '<article class="team">\n    <h3>{}: {} <span class="state">({})</span></h3>\n'
        '    <table class="levers">\n      <caption>Mean lever scores (1 to 5)</caption>\n'
        "      <tr>{}</tr>\n      <tr>{}</tr>\n    </table>\n    {}\n    {}\n  </article>",
        t["name"],
        t["score_text"] or "no score",
        t["state_label"].lower(),
        format_html_join("", '<th scope="col">{}</th>', ((label,) for label, _ in levers)),
        format_html_join("", "<td>{}</td>", ((v or "—",) for _, v in levers)),
        _joined(items, "\n    "),
        commitments,
    )
