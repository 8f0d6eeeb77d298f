"""Permissions for reviews, registered with django-rules at start-up."""

import rules

from strategy.roles import is_admin, is_executive, is_head_of_unit


@rules.predicate
def heads_check_team(user, check) -> bool:
    return check is not None and is_head_of_unit(user, check.unit)


rules.add_perm("reviews.view_cycles", is_executive | is_admin)
rules.add_perm("reviews.run_reviews", is_executive)
rules.add_perm("reviews.view_check", is_executive | is_admin | heads_check_team)
rules.add_perm("reviews.edit_check", heads_check_team)
rules.add_perm("reviews.view_team_trend", is_executive | is_admin | is_head_of_unit)
rules.add_perm("reviews.edit_cadence", is_executive | is_admin)
rules.add_perm("reviews.view_operations", is_admin)
rules.add_perm("reviews.export_reports", is_executive | is_admin)
rules.add_perm("reviews.view_signals", is_executive | is_admin)
rules.add_perm("reviews.edit_signal_settings", is_executive)
rules.add_perm("reviews.view_team_signals", is_executive | is_admin | is_head_of_unit)
