"""Importing measures' values from a CSV or XLSX file: read, check every line, preview, then
record all of them or none (docs/outcomes.md).

Like the admin's imports of units and people, the file is checked whole against what the
database holds, read in a few queries, before anything is written; the same file twice changes
nothing. The preview hands its lines to the confirm step in a signed token, and the confirm
step checks them again, so a change made in between is caught, not overwritten blindly.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from strategy import outcomes, signals
from strategy.models import Measure, MeasureActual, Objective
from strategy.outcomes import Period, parse_value
from strategy.spreadsheet import restore

REQUIRED = ("fiscal_year", "objective", "measure", "period", "value")
COLUMNS = (*REQUIRED, "comment")
MAX_LINES = 20_000
TOKEN_SALT = "strategy.actuals-import"  # noqa: S105  (a signing salt, not a secret)
TOKEN_MAX_AGE = 3600  # seconds between the preview and its confirmation
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


# --- Reading the file ------------------------------------------------------------------------


def _header(cell) -> str:
    return str(cell or "").strip().lower().replace(" ", "_")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # A spreadsheet's 91.3 may come back as 91.30000000000001.
        value = round(value, 6)
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(
            _("The file could not be read as an XLSX workbook. Save it again as .xlsx or .csv.")
        ) from exc
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(content: bytes) -> list[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” (Excel: File › Save As) "
                "and upload it again."
            )
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def actuals_read(content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The file's lines as (line number, {column: text}), the header being line 1; blank
    lines are skipped. A problem with the whole file is a ValidationError in plain words."""
    rows = _xlsx_rows(content) if content[:4] == b"PK\x03\x04" else _csv_rows(content)
    if not rows:
        raise ValidationError(_("The file is empty: its first line must name the columns."))
    headers = [_header(h) for h in rows[0]]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        names = ", ".join(f"“{c}”" for c in missing)
        found = ", ".join(f"“{h}”" for h in headers if h) or _("none")
        # Translators: names are the missing columns' names, columns all the file's columns
        # (in English, as the file must name them), found those the file names.
        message = ngettext(
            "The file has no %(names)s column. The first line must name the columns "
            "(%(columns)s); it names: %(found)s.",
            "The file has no %(names)s columns. The first line must name the columns "
            "(%(columns)s); it names: %(found)s.",
            len(missing),
        )
        raise ValidationError(
            message % {"names": names, "columns": ", ".join(COLUMNS), "found": found}
        )
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {h: _cell(v) for h, v in zip(headers, row, strict=False) if h in COLUMNS}
        if any(cells.values()):
            lines.append((number, cells))
    if not lines:
        raise ValidationError(_("The file has no values below its first line."))
    if len(lines) > MAX_LINES:
        raise ValidationError(
            _("The file has %(count)s lines of values; import at most %(max)s at a time.")
            % {"count": len(lines), "max": MAX_LINES}
        )
    return lines


# --- Checking the lines ----------------------------------------------------------------------


@dataclass
class ImportLine:
    line: int
    measure: Measure
    period: Period
    value: Decimal
    comment: str | None  # None: the file gives none, the value keeps its comment
    before: MeasureActual | None
    action: str


@dataclass
class ImportPreview:
    lines: list[ImportLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    token: str = ""

    def count(self, action: str) -> int:
        return sum(1 for line in self.lines if line.action == action)

    @property
    def changes(self) -> int:
        return self.count(NEW) + self.count(CHANGED)


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _measures_by_name(years: set[int]) -> dict[tuple, list[Measure]]:
    found: dict[tuple, list[Measure]] = {}
    measures = Measure.objects.filter(objective__position__fiscal_year__in=years).select_related(
        "objective__position", "reporting_team"
    )
    for measure in measures:
        objective = measure.objective
        key = (objective.position.fiscal_year, _key(objective.title), _key(measure.name))
        found.setdefault(key, []).append(measure)
    return found


def _problem(cells: dict, measures: dict, objectives: dict, by) -> tuple[str, tuple | None]:
    """What is wrong with one line ("" if nothing), and (measure, period, value, comment)."""
    year_text = cells.get("fiscal_year", "").upper().removeprefix("FY").strip()
    if not year_text.isdigit():
        return _("fiscal year “%(year)s” is not a year such as 2026") % {
            "year": cells.get("fiscal_year", "")
        }, None
    year = int(year_text)
    title, name = cells.get("objective", ""), cells.get("measure", "")
    if not title:
        return _("objective is empty"), None
    if not name:
        return _("measure is empty"), None
    # A name the download neutralised ('=...) is read back as it was written.
    if (year, _key(title)) not in objectives and (year, _key(restore(title))) in objectives:
        title = restore(title)
    if (year, _key(title), _key(name)) not in measures:
        name = restore(name)
    if (year, _key(title)) not in objectives:
        return _("the FY%(year)s strategy has no objective “%(objective)s”") % {
            "year": year,
            "objective": title,
        }, None
    found = measures.get((year, _key(title), _key(name)), [])
    named = {"objective": title, "year": year, "measure": name}
    if not found:
        return _(
            "objective “%(objective)s” of FY%(year)s has no measure “%(measure)s”"
        ) % named, None
    if len(found) > 1:
        return (
            _("objective “%(objective)s” of FY%(year)s has two measures named “%(measure)s”")
            % named,
            None,
        )
    measure = found[0]
    refusal = outcomes.measure_entry_refusal(measure)
    if refusal:  # a sentence: the line's problem follows "Line 4: " and ends with the line
        return refusal[:1].lower() + refusal[1:].removesuffix("."), None
    if not by.has_perm("alignment.enter_measure_actuals", measure):
        team = measure.reporting_team
        if team:
            message = _("you do not enter the values of “%(measure)s”: %(team)s reports it")
        else:
            message = _("you do not enter the values of “%(measure)s”: no team reports it yet")
        return message % {"measure": name, "team": team.name if team else ""}, None
    try:
        period = Period.parse(
            cells.get("period", ""), fiscal_year=year, frequency=measure.frequency
        )
        value = parse_value(cells.get("value", ""))
    except ValidationError as exc:
        return exc.messages[0], None
    comment = cells.get("comment", "").strip() or None
    return "", (measure, period, value, comment)


def actuals_import_check(
    *, lines: list[tuple[int, dict[str, str]]], by, lock: bool = False
) -> ImportPreview:
    """Check every line and say what recording it would do (new value, changed, unchanged);
    a bad line is named with its number. In a few queries whatever the file's length. `lock`
    holds the values read until the transaction ends (the confirm step)."""
    years = set()
    for _line, cells in lines:
        text = cells.get("fiscal_year", "").upper().removeprefix("FY").strip()
        if text.isdigit():
            years.add(int(text))
    measures = _measures_by_name(years)
    objectives = {
        (year, _key(title))
        for year, title in Objective.objects.filter(position__fiscal_year__in=years).values_list(
            "position__fiscal_year", "title"
        )
    }
    preview, checked, first_line = ImportPreview(), [], {}
    for line, cells in lines:
        problem, found = _problem(cells, measures, objectives, by)
        if not problem:
            measure, period = found[:2]
            where = (measure.pk, period.fiscal_year, period.number)
            earlier = first_line.setdefault(where, line)
            if earlier != line:
                # Translators: period is e.g. "FY2026 Q2".
                problem = _("%(period)s of “%(measure)s” is also on line %(line)s") % {
                    "period": period,
                    "measure": measure.name,
                    "line": earlier,
                }
        if problem:
            # Translators: a line of the file and what is wrong with it.
            preview.errors.append(
                _("Line %(line)s: %(problem)s.") % {"line": line, "problem": problem}
            )
        else:
            checked.append((line, found))
    existing = MeasureActual.objects.filter(measure_id__in={f[0].pk for _line, f in checked})
    if lock:
        existing = existing.select_for_update()
    known = {(a.measure_id, a.fiscal_year, a.period): a for a in existing}
    for line, (measure, period, value, comment) in checked:
        before = known.get((measure.pk, period.fiscal_year, period.number))
        if before is None:
            action = NEW
        elif before.value == value and (comment is None or comment == before.comment):
            action = UNCHANGED
        else:
            action = CHANGED
        preview.lines.append(ImportLine(line, measure, period, value, comment, before, action))
    if not preview.errors:
        preview.token = signing.dumps({"by": by.pk, "lines": lines}, salt=TOKEN_SALT, compress=True)
    return preview


def actuals_import_preview(*, content: bytes, by) -> ImportPreview:
    return actuals_import_check(lines=actuals_read(content), by=by)


@transaction.atomic
def actuals_import_apply(*, token: str, by) -> ImportPreview:
    """Record the lines of a preview, all of them or none: they are checked again first, so
    a line that no longer holds (a measure renamed meanwhile, say) stops the whole file.
    Values already recorded are left as they are: importing the same file twice changes
    nothing. Raises ValidationError with the problems."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            _("The preview is more than an hour old: upload the file again.")
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("The preview could not be read: upload the file again.")) from None
    if payload.get("by") != by.pk:
        raise ValidationError(_("This preview was made by someone else: upload the file again."))
    lines = [(int(line), dict(cells)) for line, cells in payload["lines"]]
    preview = actuals_import_check(lines=lines, by=by, lock=True)
    if preview.errors:
        raise ValidationError(
            [_("Nothing was imported: the file no longer checks."), *preview.errors]
        )
    now = timezone.now()
    created, updated = [], []
    for line in preview.lines:
        if line.action == UNCHANGED:
            continue
        actual = line.before or MeasureActual(
            measure=line.measure, fiscal_year=line.period.fiscal_year, period=line.period.number
        )
        actual.value = line.value
        if line.comment is not None or line.before is None:
            actual.comment = line.comment or ""
        actual.source, actual.entered_by, actual.entered_at = (
            MeasureActual.Source.IMPORTED,
            by,
            now,
        )
        (updated if line.before else created).append(actual)
    if created:
        bulk_create_with_history(created, MeasureActual, batch_size=500, default_user=by)
    if updated:
        bulk_update_with_history(
            updated,
            MeasureActual,
            ["value", "comment", "source", "entered_by", "entered_at"],
            batch_size=500,
            default_user=by,
        )
    if created or updated:
        signals.bulk_written.send(sender=MeasureActual)
    return preview
