"""The HTML page and the Markdown summary: every section, every value escaped, nothing external, stable bytes."""

import os
import re

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.build import build_fleet_report
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.layout import SECTIONS
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.markdown import escape

from report_runs import RunBuilder, example, fleet_documents

HOSTILE = '<script>alert("x")</script>'
HOSTILE_FILE = "<img src=x onerror=alert(1)>.json"


def hostile_documents():
    """The fleet, with a hostile value in a field each section shows."""
    pairs = fleet_documents()
    by_id = {document["id"]: document for _host, document in pairs}
    by_id["urn:srcos:agent-machine:machine:m2-air"]["host"]["os"]["prettyName"] = HOSTILE
    by_id["urn:srcos:agent-machine:machine:m2-air"]["accelerators"]["devices"][0]["name"] = HOSTILE
    by_id["urn:srcos:agent-machine:storage-receipt:m2-air-agent-models"]["mount"]["path"] = "/srv/" + HOSTILE
    by_id["urn:srcos:agent-machine:model-receipt:m2-air-qwen2-5-coder-7b-q4"]["ref"] = "hf://x/" + HOSTILE
    by_id["urn:srcos:agent-machine:placement-decision:coder-qwen"]["candidates"][0]["rejectionReasons"][0]["message"] = HOSTILE
    by_id["urn:srcos:agent-machine:activation-decision:coder-qwen-m2-air-denied"]["decision"]["reason"] = HOSTILE + " | a | b"
    by_id["urn:srcos:agent-machine:runtime-evidence:coder-qwen-m2-air-activate"]["healthChecks"][-1].update(
        status="fail", httpStatus=None, error=HOSTILE)
    return pairs


def hostile_report(tmp_path):
    run = RunBuilder(str(tmp_path / "artifacts")).record_all(hostile_documents()).seal()
    folder = os.path.join(run.run_dir, "m2-air", "model-receipt")
    with open(os.path.join(folder, HOSTILE_FILE), "w", encoding="utf-8") as handle:
        handle.write("{}")  # an unlisted, unreadable file: its name reaches the verification section
    built = build_fleet_report(run.artifacts, run.run_id, [run.key.public_key()])
    return built, built.files["report.html"].decode("utf-8"), built.files["report.md"].decode("utf-8")


def test_every_section_is_on_the_page_in_order_with_its_band_colour(fleet_run):
    page = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [fleet_run.key.public_key()]).files["report.html"].decode()
    positions = [page.index('<section id="%s">' % section_id) for section_id, _title, _colour in SECTIONS]
    assert positions == sorted(positions)
    for section_id, title, colour in SECTIONS:
        assert "#%s > h2 { background: %s; }" % (section_id, colour) in page
        assert "<h2>%s " % title in page
    colours = [colour for _id, _title, colour in SECTIONS]
    assert len(set(colours)) == len(colours)
    style = page[page.index("<style>"):page.index("</style>")]
    for colour in colours:  # a band colour is used for its band only
        assert style.count(colour) == 1 and page.count(colour) == 1


def test_hostile_values_are_escaped_in_the_page(tmp_path):
    built, page, _markdown = hostile_report(tmp_path)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 7
    assert "&lt;img src=x onerror=alert(1)&gt;.json" in page
    assert not built.verified  # the planted file is a problem the report shows


def markdown_tables(markdown):
    """Each table of the summary as its lines (header, separator, rows)."""
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables


def test_hostile_values_are_escaped_in_the_markdown(tmp_path):
    _built, _page, markdown = hostile_report(tmp_path)
    assert "<script" not in markdown and "<img" not in markdown
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt;" in markdown
    for table in markdown_tables(markdown):
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
        assert len(widths) == 1, "a value broke a table:\n" + "\n".join(table)
    activation_rows = [line for line in markdown.splitlines() if line.startswith("| coder-qwen | m2-air | **fail-closed**")]
    assert len(activation_rows) == 1
    assert len(re.findall(r"(?<!\\)\|", activation_rows[0])) == 8  # 7 columns, the value's pipes escaped


def test_the_page_is_self_contained(fleet_run):
    page = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, []).files["report.html"].decode()
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "@import", "url("):
        assert forbidden not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert re.findall(r'href="([^"]*)"', page) == ["#" + section_id for section_id, _t, _c in SECTIONS]


def test_none_recorded_is_explicit_in_both_files(run_builder):
    run_builder.record("m2-air", example("agent-machine"))
    run_builder.seal()
    files = build_fleet_report(run_builder.artifacts, run_builder.run_id, [run_builder.key.public_key()]).files
    page, markdown = files["report.html"].decode(), files["report.md"].decode()
    for kind in ("StorageReceipt", "ModelReceipt", "PlacementDecision", "ActivationDecision", "RuntimeEvidence"):
        assert '<p class="none">None recorded: the run has no %s' % kind in page
        assert "*None recorded: the run has no %s" % kind in markdown


def test_markdown_has_a_heading_per_section(fleet_run):
    markdown = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, []).files["report.md"].decode()
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert [h.split(" (")[0][3:] for h in headings] == [title for _id, title, _colour in SECTIONS]
    assert "| m2-air | chosen | 0.00 s | 1.20 s | 0.00 s | 0.25 s | 1.45 s | — |" in markdown


def test_the_same_evidence_renders_the_same_bytes(fleet_run):
    first = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [fleet_run.key.public_key()]).files
    second = build_fleet_report(fleet_run.artifacts, fleet_run.run_id, [fleet_run.key.public_key()]).files
    assert first == second


def test_markdown_escape():
    assert escape("a|b *c* _d_ `e` [f](g) <h>") == "a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) &lt;h&gt;"
    assert escape("1. first") == "1\\. first" and escape("- item") == "\\- item" and escape("# title") == "\\# title"
    assert escape("24.0 GiB") == "24.0 GiB" and escape("-5") == "-5"
    assert escape("two\nlines\r\n") == "two lines"
