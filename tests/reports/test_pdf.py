"""The PDF and the print view it is rendered from: contents, and no URL a user typed fetched."""

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.request import urlopen

import pytest
from django.urls import reverse
from pypdf import PdfReader

from reports import writers
from strategy.models import Unit
from tests.factories import UnitFactory
from tests.reports.support import COMPANY, build_org, open_next_quarter, pdf_text

pytestmark = pytest.mark.django_db

CONTENTS = [
    "Summary and trend",
    "Objectives",
    "Regions",
    "Agenda",
    "Actions",
    "Checks not submitted",
    "The year, quarter by quarter",
    "Appendix: the teams, region by region",
]
# A 1×1 transparent PNG, so that a fetch that did happen would also render.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
    "9c6360000002000154a24f5d0000000049454e44ae426082"
)


class Listener:
    """An HTTP server on a free local port that counts every request it gets."""

    def __init__(self):
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(PNG)

            do_HEAD = do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    with Listener() as running:
        yield running


def page_number(page) -> int:
    """The number in a page's footer."""
    return int(re.findall(r"Page (\d+)", page.extract_text())[-1])


def squeeze(value: str) -> str:
    """Text without whitespace: PDF text extraction breaks long lines where it likes."""
    return re.sub(r"\s+", "", value)


def test_pdf_has_cover_contents_page_numbers_teams_objectives_and_evidence(org):
    content = writers.pdf_bytes(org.cycle)

    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert COMPANY in text
    assert "Q1 FY2026 alignment review" in text
    pages = len(PdfReader(io.BytesIO(content)).pages)
    # Numbered through, the summary and the appendix's parts alike.
    assert [page_number(p) for p in PdfReader(io.BytesIO(content)).pages] == list(
        range(1, pages + 1)
    )
    assert f"{pages} pages: the board's summary, then the team appendix from page" in text
    assert "Contents" in text
    for entry in CONTENTS:
        # Each entry is followed by a dot leader and the page it starts on.
        match = re.search(re.escape(entry) + r" \.+ ?(\d+)", text)
        assert match, f"no contents entry for {entry}"
        assert 1 <= int(match[1]) <= pages
    for name in ("Logistics", "Finance", "Quality"):
        assert name in text
    assert org.a.title in text
    assert "Pickers trained: see the LMS report." in text
    assert "No budget yet." in text  # a blocker
    assert "At risk" in text  # a commitment status
    assert "Hire two pickers before the summer peak" in text  # an action
    assert "Quality: in draft" in text  # the teams that did not submit
    assert "Alignment index 63 / 100" in text


def test_pdf_draws_the_trend_as_svg_from_the_print_view_template(org):
    html = writers.report_html(org.cycle, for_pdf=True)

    assert "<svg" in html
    assert 'href="static:css/report.css"' in html
    text = pdf_text(writers.pdf_bytes(org.cycle))
    assert "Score out of 100 by quarter" in text  # the chart's description
    assert re.search(r"0\s+25\s+50\s+75\s+100", text)  # its axis, drawn as SVG text


def test_print_view_is_reachable_from_the_cycle_page(login, org, executive):
    page = login(executive).get(org.cycle.get_absolute_url())

    url = reverse("reports:report-print", args=[org.cycle.pk])
    assert f'href="{url}"' in page.content.decode()
    response = login(executive).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Parts &amp; Co: Q1 FY2026 alignment review" in html
    assert "/static/css/report.css" in html  # the screen gets the stylesheet over HTTP


# --- No URL a user typed is fetched ----------------------------------------------------------


def test_the_listener_sees_what_weasyprint_fetches_by_default(listener):
    """The control: without the restricted fetcher, WeasyPrint does call the listener."""
    from weasyprint import HTML

    urlopen(f"{listener.url}/ping", timeout=5).read()
    HTML(string=f'<p>x<img src="{listener.url}/control.png"></p>').write_pdf()

    assert listener.paths == ["/ping", "/control.png"]


@pytest.fixture
def payload_org(listener, current_position, executive, logistics, finance, head, other_head):
    url = listener.url
    texts = {
        "evidence logistics": f'<img src="{url}/evidence.png"> and file:///etc/passwd',
        "blockers logistics": f'<link rel="stylesheet" href="{url}/blockers.css">',
        "promise A": f'<img src="{url}/promise.png"><img src="file:///etc/passwd">',
        "title B": f'<object data="{url}/title.svg"></object>',
        "team": f'<iframe src="{url}/team.html"></iframe>',
        "statement": f'<style>@import url("{url}/statement.css");</style>',
        "action": f'<svg><image href="{url}/action.png"/></svg>',
    }
    return build_org(
        position=current_position,
        executive=executive,
        logistics=logistics,
        finance=finance,
        head=head,
        other_head=other_head,
        texts=texts,
    )


def test_pdf_renders_typed_urls_as_text_and_fetches_none(listener, payload_org):
    content = writers.pdf_bytes(payload_org.cycle)

    assert listener.paths == []
    text = squeeze(pdf_text(content))
    for field in ("evidence logistics", "promise A", "team", "statement"):
        assert squeeze(payload_org.texts[field]) in text, field
    assert "root:x:0:0" not in text


def test_print_view_escapes_typed_html(login, listener, payload_org, executive):
    client, pk = login(executive), payload_org.cycle.pk
    summary = client.get(reverse("reports:report-print", args=[pk])).content.decode()
    appendix = client.get(reverse("reports:report-part", args=[pk, 1])).content.decode()

    html = summary + appendix
    for tag in ("<img", "<iframe", "<object", "<image", "<style>@import", f'href="{listener.url}'):
        assert tag not in html, tag
    assert f"&lt;img src=&quot;{listener.url}/evidence.png&quot;&gt;" in html
    assert f"&lt;iframe src=&quot;{listener.url}/team.html&quot;&gt;" in html
    assert listener.paths == []


def test_restricted_fetcher_refuses_files_and_the_network(listener):
    fetcher = writers._safe_fetcher()

    for url in (
        "file:///etc/passwd",
        f"{listener.url}/direct.png",
        "https://example.com/logo.png",
        "ftp://example.com/x",
        "static:../../../../../../etc/passwd",
        "static:css/does-not-exist.css",
    ):
        with pytest.raises(Exception):  # noqa: B017  any refusal will do, as long as it refuses
            fetcher.fetch(url)
    assert listener.paths == []


def test_restricted_fetcher_serves_our_static_files_and_data_uris():
    fetcher = writers._safe_fetcher()

    css = fetcher.fetch("static:css/report.css")
    assert b"@page" in css.read()
    assert css.content_type == "text/css"
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_raw_html_rendered_with_the_restricted_fetcher_fetches_nothing(listener):
    """Defence in depth: even HTML that escaped the template's escaping fetches nothing."""
    from weasyprint import HTML

    html = (
        f'<link rel="stylesheet" href="{listener.url}/raw.css">'
        f'<style>@import url("{listener.url}/import.css"); '
        f'body {{ background: url("{listener.url}/bg.png") }}</style>'
        f'<p><img src="{listener.url}/raw.png"><img src="file:///etc/passwd"></p>'
        f'<svg><image href="{listener.url}/svg.png" width="5" height="5"/></svg>'
    )

    HTML(
        string=html, base_url=writers.STATIC_SCHEME, url_fetcher=writers._safe_fetcher()
    ).write_pdf()

    assert listener.paths == []


def test_print_view_compares_with_last_quarter_and_shows_the_year_side_by_side(
    login, org, executive
):
    q2 = open_next_quarter(org, executive=executive)
    q3 = open_next_quarter(org, executive=executive, after=q2)
    q4 = open_next_quarter(org, executive=executive, after=q3)

    html = login(executive).get(reverse("reports:report-print", args=[q4.pk])).content.decode()

    assert "Q4 FY2026 alignment review" in html
    assert "(+0 since Q3 FY2026)" in html
    # The year section, not the appendix part the print view shows after it.
    year = html[html.index('<section id="year">') : html.index('<section id="appendix">')]
    labels = re.findall(r'<th scope="col">(Q\d FY2026)</th>', year)
    assert labels == ["Q1 FY2026", "Q2 FY2026", "Q3 FY2026", "Q4 FY2026"]
    index_row = re.search(r"Alignment index</th>(.*?)</tr>", year)[1]
    # 62.5 and 72.5, rounded half up as floatformat does.
    assert re.findall(r"<td>(\d+)</td>", index_row) == ["63", "73", "73", "73"]
    objective_b = re.search(re.escape(org.b.title) + r"</th>(.*?)</tr>", year)[1]
    assert re.findall(r"<td>(\d+)</td>", objective_b) == ["25", "50", "50", "50"]
    # Each objective's trend, quarter by quarter, in the objectives table.
    assert "Q1 FY2026: 25; Q2 FY2026: 50; Q3 FY2026: 50; Q4 FY2026: 50" in html


# --- The board pack: summary pages, then the teams region by region ---------------------------


@pytest.fixture
def regions(org):
    """Logistics and Finance in the North region; Quality in none."""
    north = UnitFactory(name="North region", code="north")
    Unit.objects.filter(pk__in=[org.logistics.pk, org.finance.pk]).update(parent=north)
    return north


def test_print_view_shows_regions_and_links_to_the_appendix_parts_instead_of_every_team(
    login, org, regions, executive, monkeypatch
):
    monkeypatch.setattr(writers, "TEAMS_PER_PART", 1)
    monkeypatch.setattr(writers, "TEAMS_PER_SCREEN", 1)
    client, pk = login(executive), org.cycle.pk

    html = client.get(reverse("reports:report-print", args=[pk])).content.decode()

    regions_table = html[html.index('<section id="regions">') : html.index('<section id="agenda">')]
    north = re.search(r"North region</th>(.*?)</tr>", regions_table)[1]
    # 2 teams, both submitted; A: Logistics 75 and Finance 100; B: Logistics 25; fit 74.
    assert re.findall(r"<td[^>]*>([^<]*)</td>", north)[:4] == ["2", "2", "88", "25"]
    assert "Logistics (48)" in north  # the region's lowest team
    assert "No region</th><td>1</td><td>0</td>" in regions_table
    assert "Pickers trained" not in html  # evidence is in the appendix, not the summary
    assert reverse("reports:report-csv", args=[pk]) in html
    links = re.findall(r'href="([^"]*/report/teams/\d+/)">Appendix (\d): ([^<]*)</a>', html)
    assert [(number, title) for _, number, title in links] == [
        ("1", "North region, teams 1–1 of 2"),
        ("2", "North region, teams 2–2 of 2"),
        ("3", "No region, teams 1–1 of 1"),
    ]
    assert links[0][0] == reverse("reports:report-part", args=[pk, 1])

    part = client.get(links[0][0]).content.decode()
    assert "Appendix 1: North region, teams 1–1 of 2" in part
    assert "Finance" in part and "Carrier penalties paid on time." in part
    assert "Pickers trained" not in part  # Logistics is in part 2
    assert f'href="{reverse("reports:report-part", args=[pk, 2])}" rel="next"' in part
    assert client.get(reverse("reports:report-part", args=[pk, 4])).status_code == 404


def test_pdf_renders_the_appendix_part_by_part_numbered_through_with_the_contents_pointing_at_each(
    org, regions, monkeypatch
):
    monkeypatch.setattr(writers, "TEAMS_PER_PART", 1)

    content = writers.pdf_bytes(org.cycle)

    reader = PdfReader(io.BytesIO(content))
    numbers = [page_number(p) for p in reader.pages]
    assert numbers == list(range(1, len(reader.pages) + 1))
    outline = [item.title for item in reader.outline if not isinstance(item, list)]
    titles = [
        "Appendix 1: North region, teams 1–1 of 2",
        "Appendix 2: North region, teams 2–2 of 2",
        "Appendix 3: No region, teams 1–1 of 1",
    ]
    assert [t for t in outline if t.startswith("Appendix ")] == titles
    contents = pdf_text(content)
    starts = []
    for title in titles:
        match = re.search(re.escape(title) + r" \.+ ?(\d+)", contents)
        assert match, title
        starts.append(int(match[1]))
        page_text = reader.pages[starts[-1] - 1].extract_text()
        assert title in page_text, title  # the part begins on the page the contents give
    assert starts == sorted(starts) and starts[0] > 1
    text = squeeze(contents)
    for evidence in ("Carrier penalties paid on time.", "Pickers trained", "Draft evidence."):
        assert squeeze(evidence) in text
