"""A review's report files, shown on the reviews app's cycle and heatmap pages.

The reviews app imports no higher app, so its templates load these tags instead.
"""

from django import template

from reports import services

register = template.Library()


@register.simple_tag
def cycle_reports(cycle) -> dict:
    """The latest file of each format (`files`) and whether one is still being built (`busy`:
    the page then polls their status): one query."""
    files = services.latest_report_files(cycle)
    return {"files": files, "busy": any(r.is_active for r in files)}
