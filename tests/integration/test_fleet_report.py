"""The fleet report of a real run, rendered in headless Chromium.

The run: playbooks/probe.yml probes three captured machines (an Asahi M2,
an AMD GPU workstation, a CPU-only VM) through the real module and role,
then a second play records the other kinds of document (from
contracts/examples, pointed at these machines) and seals the run.
playbooks/report.yml renders the report; Chromium draws it, and the
screenshot must show each section's header band in its documented colour,
in order.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser

import pytest
import yaml

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.layout import SECTIONS

from ansible_run import REPO_ROOT, playbook, task_results
from support import capture

RUN_ID = "fleet-report"
HOSTILE = "<script>alert(1)</script>"
# inventory host -> captured machine (the capture's hostname gives the machine id)
MACHINES = {"m2-air": "asahi-m2", "radeon-ws-01": "amd-gpu", "vm-node-1": "x86-vm"}
WINDOW = (1280, 4000)
BAND_MIN_RUN = 600  # a header band spans the section's width; text and badges are far narrower

RECORD_PLAY = """
- name: Start
  ansible.builtin.import_playbook: sourceos.agent_machine.run_start
- name: Record the other steps' documents
  hosts: agent_machines
  gather_facts: false
  tasks:
    - name: Record each document
      sourceos.agent_machine.receipt:
        document: "{{ item }}"
      loop: "{{ report_test_documents | default([]) }}"
      loop_control:
        label: "{{ item.id }}"
- name: Seal
  ansible.builtin.import_playbook: sourceos.agent_machine.run_seal
"""


def example(name):
    """contracts/examples/<name>.json with its machines renamed to this fleet's."""
    with open(os.path.join(REPO_ROOT, "contracts", "examples", name + ".json"), encoding="utf-8") as handle:
        text = handle.read()
    return json.loads(text.replace("gpu-a100-01", "radeon-ws-01").replace("edge-x86-01", "vm-node-1"))


def documents_by_host():
    model = example("model-receipt")
    model["ref"] = "hf://example/" + HOSTILE
    hot = example("storage-receipt")
    hot.update(id="urn:srcos:agent-machine:storage-receipt:radeon-ws-01-agent-cache-hot",
               agentMachineId="urn:srcos:agent-machine:machine:radeon-ws-01", volumeClass="agent-cache-hot",
               backend="tmpfs", lvm=None, capacity={"sizeBytes": 8589934592, "usedBytes": 7730941133, "freeBytes": 858993459})
    hot["mount"]["path"] = "/var/lib/agent-machine/cache/hot"
    return {
        "m2-air": [example("storage-receipt"), example("storage-receipt.cache-warm"), model,
                   example("placement-decision"), example("placement-decision.unplaceable"), example("deployment-receipt"),
                   example("activation-decision"), example("activation-decision.fail-closed"),
                   example("runtime-evidence"), example("runtime-evidence.rollback")],
        "radeon-ws-01": [hot],
    }


def inventory(tmp_path):
    hosts = {}
    documents = documents_by_host()
    for host, machine in MACHINES.items():
        root = capture.load(machine).materialize(str(tmp_path / "machines" / machine))
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "probe_root": root,
                       "report_test_documents": documents.get(host, [])}
    return yaml.safe_dump({"agent_machines": {"children": {
        "asahi_nodes": {"hosts": {"m2-air": hosts["m2-air"]}},
        "gpu_nodes": {"hosts": {"radeon-ws-01": hosts["radeon-ws-01"]}},
        "edge_nodes": {"hosts": {"vm-node-1": hosts["vm-node-1"]}},
    }}})


@pytest.fixture(name="sealed_run", scope="module")
def sealed_run_fixture(tmp_path_factory):
    """A probed and sealed three-node run: its extra vars, keys, inventory and folder."""
    tmp_path = tmp_path_factory.mktemp("fleet-report")
    key = str(tmp_path / "signing.pem")
    public = str(tmp_path / "signing.pub")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", public], check=True)
    common = {"agent_machine_artifacts_dir": str(tmp_path / "artifacts"), "agent_machine_run_id": RUN_ID}
    inventory_text = inventory(tmp_path)
    env = {"ANSIBLE_BECOME": "false"}
    rc, _output, stderr = playbook("playbooks/probe.yml", tmp_path=tmp_path, inventory_text=inventory_text, env=env,
                                   extra_vars=dict(common, agent_machine_signing_key_file=key))
    assert rc == 0, stderr
    record = tmp_path / "record.yml"
    record.write_text(RECORD_PLAY)
    rc, _output, stderr = playbook(str(record), tmp_path=tmp_path, inventory_text=inventory_text, env=env,
                                   extra_vars=dict(common, agent_machine_signing_key_file=key))
    assert rc == 0, stderr
    return {"common": common, "key": key, "public": public, "inventory": inventory_text, "tmp_path": tmp_path}


def render(sealed_run, check=False, **extra):
    rc, output, stderr = playbook("playbooks/report.yml", tmp_path=sealed_run["tmp_path"], check=check,
                                  extra_vars=dict(sealed_run["common"], public_key_file=sealed_run["public"], **extra))
    assert rc == 0, stderr
    return task_results(output)["Render the report from the run's receipts"]


@pytest.fixture(name="report", scope="module")
def report_fixture(sealed_run):
    return render(sealed_run)


def test_the_report_verifies_the_run_and_summarizes_each_section(report, sealed_run):
    common = sealed_run["common"]
    assert report["changed"] is False and report["changed_files"] == ["report.html", "report.md"]
    assert report["dest"] == os.path.join(common["agent_machine_artifacts_dir"], RUN_ID, "report")
    assert report["verified"] is True and report["problems"] == []
    assert report["sections"] == {
        "nodes": "3 nodes",
        "accelerators": "2 devices on 3 nodes",
        "storage": "3 volumes",
        "models": "1 model artifact",
        "placements": "2 decisions: 1 placed, 1 unplaceable",
        "activations": "2 decisions: 1 allowed, 1 fail-closed",
        "providers": "2 actions, 2 healthy",
        "verification": "verified",
    }
    with open(report["markdown"], encoding="utf-8") as handle:
        markdown = handle.read()
    assert "| m2-air | m2-asahi-linux | aarch64 |" in markdown
    assert "| radeon-ws-01 | linux-gpu-node | x86\\_64 |" in markdown
    assert "| m2-air | chosen | 0.00 s | 1.20 s | 0.00 s | 0.25 s | 1.45 s | — |" in markdown


def test_a_second_render_changes_nothing_and_check_mode_writes_nothing(report, sealed_run, tmp_path):
    again = render(sealed_run)
    assert again["changed"] is False and again["changed_files"] == []
    elsewhere = str(tmp_path / "elsewhere")
    checked = render(sealed_run, check=True, report_dest=elsewhere)
    assert checked["changed"] is False and checked["changed_files"] == ["report.html", "report.md"]
    assert not os.path.exists(elsewhere)
    with open(report["html"], "rb") as handle:
        assert handle.read().startswith(b"<!DOCTYPE html>")


def test_an_unknown_run_fails_naming_it(sealed_run):
    common = sealed_run["common"]
    rc, output, _stderr = playbook("playbooks/report.yml", tmp_path=sealed_run["tmp_path"], extra_vars=dict(
        common, agent_machine_run_id="no-such-run", public_key_file=sealed_run["public"]))
    assert rc != 0
    failure = task_results(output)["Render the report from the run's receipts"]
    assert failure["failed"] is True
    assert "run_id: no run 'no-such-run' under %s" % common["agent_machine_artifacts_dir"] in failure["msg"]


def test_imported_after_the_steps_it_reports_the_run_they_started(sealed_run, tmp_path):
    common = sealed_run["common"]
    site = tmp_path / "site.yml"
    site.write_text("- name: Probe\n  ansible.builtin.import_playbook: sourceos.agent_machine.probe\n"
                    "- name: Report\n  ansible.builtin.import_playbook: sourceos.agent_machine.report\n")
    rc, output, stderr = playbook(str(site), tmp_path=tmp_path, inventory_text=sealed_run["inventory"],
                                  env={"ANSIBLE_BECOME": "false"},
                                  extra_vars={"agent_machine_artifacts_dir": common["agent_machine_artifacts_dir"],
                                              "agent_machine_signing_key_file": sealed_run["key"]})
    assert rc == 0, stderr
    started = task_results(output, host="m2-air")["Name this run"]["ansible_facts"]["agent_machine_run_id"]
    rendered = task_results(output)["Render the report from the run's receipts"]
    assert started != RUN_ID and rendered["dest"] == os.path.join(common["agent_machine_artifacts_dir"], started, "report")
    assert rendered["verified"] is True and rendered["sections"]["nodes"] == "3 nodes"
    assert rendered["sections"]["placements"] == "0 decisions"


# --- headless Chromium --------------------------------------------------------------------------


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed and could not be: scripts/host-deps.sh installs the Debian package "
                    "'chromium' (make setup)")
    return path


def run_chromium(tmp_path, *arguments):
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--force-device-scale-factor=1", "--user-data-dir=%s" % (tmp_path / "chromium-profile"),
               "--window-size=%d,%d" % WINDOW] + list(arguments)
    proc = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False,
                          env=dict(os.environ, HOME=str(tmp_path)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def decode_png(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, colour, _compression, _filter, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, "unexpected PNG format %r" % (header,)
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        line = unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, channels)
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


def unfilter(kind, line, previous, step):
    """Undo one PNG row filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth) in place."""
    if kind == 2:
        return bytearray((a + b) & 0xFF for a, b in zip(line, previous))
    for i, value in enumerate(line):
        left = line[i - step] if i >= step else 0
        up = previous[i]
        if kind == 1:
            line[i] = (value + left) & 0xFF
        elif kind == 3:
            line[i] = (value + ((left + up) >> 1)) & 0xFF
        elif kind == 4:
            corner = previous[i - step] if i >= step else 0
            estimate = left + up - corner
            distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
            predictor = left if distances[0] <= distances[1] and distances[0] <= distances[2] else up if distances[1] <= distances[2] else corner
            line[i] = (value + predictor) & 0xFF
        elif kind != 0:
            raise AssertionError("unknown PNG filter %d" % kind)
    return line


def longest_run(row, colour):
    best = current = 0
    for pixel in row:
        current = current + 1 if pixel == colour else 0
        best = max(best, current)
    return best


def rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


class SectionIds(HTMLParser):
    """Ids of <section> elements and every tag name, in document order."""

    def __init__(self):
        super().__init__()
        self.sections, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(dict(attrs).get("id"))


def test_chromium_draws_every_section_band_in_order(report, tmp_path):
    screenshot = tmp_path / "report.png"
    run_chromium(tmp_path, "--screenshot=%s" % screenshot, "file://" + report["html"])
    width, height, rows = decode_png(screenshot.read_bytes())
    assert (width, height) == WINDOW

    colours = {pixel for row in rows[::8] for pixel in row[::4]}
    assert len(colours) > 50, "the screenshot is blank or nearly so"
    painted = sum(1 for row in rows[::4] for pixel in row[::4] if pixel != (255, 255, 255))
    assert painted > 0.05 * (width // 4) * (height // 4)

    tops = []
    for section_id, title, colour in SECTIONS:
        band = [y for y, row in enumerate(rows) if longest_run(row, rgb(colour)) >= BAND_MIN_RUN]
        assert band, "no %s band (%s) for section %r in the screenshot" % (colour, title, section_id)
        title_pixels = sum(1 for y in band for pixel in rows[y] if min(pixel) > 200)
        assert title_pixels > 50, "the %s band shows no title text" % section_id
        tops.append(band[0])
    assert tops == sorted(tops) and len(set(tops)) == len(tops), "bands out of order: %r" % tops


def test_chromium_dom_has_every_section_and_no_script(report, tmp_path):
    dom = run_chromium(tmp_path, "--dump-dom", "file://" + report["html"])
    parser = SectionIds()
    parser.feed(dom)
    assert parser.sections == [section_id for section_id, _title, _colour in SECTIONS]
    assert "script" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    for summary in report["sections"].values():
        assert summary in dom
