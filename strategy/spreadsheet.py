"""CSV that spreadsheets open safely: formula-like text neutralised (CWE-1236).

The strategy's own downloads (the coverage matrix) and the reviews' reports write cells through
`neutralise`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

# A spreadsheet treats a cell starting with one of these as a formula (or DDE): CWE-1236.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a cell inside one CSV field: after a list separator (Excel in a
# German or French locale splits a comma CSV at every ";", quotes or not) or a line break, past
# the quotes a field of its own would open with.
CELL_START_TRIGGER = re.compile(r'(?<=[;,\r\n])(?="*[=+\-@\t\r])')
CSV_CHUNK_ROWS = 1000


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def neutralise(value):
    """CSV text that a spreadsheet would run as a formula, whichever list separator it splits
    the file at, gets an apostrophe where a cell would start: before a leading trigger, and
    after each `;`, `,` or line break that a trigger follows. The rest of the text stays as
    typed. Numbers and empty values pass through."""
    if not isinstance(value, str):
        return value
    value = CELL_START_TRIGGER.sub("'", value)
    return "'" + value if is_formula_like(value) else value


NEUTRALISED = re.compile(r"""(?:^|(?<=[;,\r\n]))'(?="*[=+\-@\t\r])""")


def restore(text: str) -> str:
    """The text `neutralise` was given: its apostrophes before a cell start taken out (a
    downloaded file read back, such as the template of measure values)."""
    return NEUTRALISED.sub("", text)


class _Echo:
    """A file-like object whose write() returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """UTF-8 CSV with a header row, a chunk of rows at a time, formula-like text neutralised."""
    # Every field quoted, rows ending in "\n" rather than "\r\n": a spreadsheet that splits the
    # file at ";" loses track of the quotes, and would start a cell at the "\r" after a closing
    # quote. (Quoting every field keeps a "\r" typed in the text inside its field.)
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL, lineterminator="\n")
    buffer = ["\ufeff" + writer.writerow(header)]  # BOM: spreadsheets then read UTF-8
    for row in rows:
        buffer.append(writer.writerow([neutralise(v) for v in row]))
        if len(buffer) >= CSV_CHUNK_ROWS:
            yield "".join(buffer)
            buffer = []
    yield "".join(buffer)
