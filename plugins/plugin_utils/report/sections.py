# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the report's sections from a run's evidence and its verification.

One function per section; each reads the documents of one kind
(contracts in plugin_utils/contracts/) and returns a layout.Section. A kind
the run did not record gives the section an explicit "None recorded" line.
"""

from __future__ import annotations

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.formatting import (
    MISSING, field, items, latency, lines_of, percent, reason_lines, seconds, short_digest, size, slug, text,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.layout import Block, Cell, Report, Section, Table

STORAGE_WARN_PERCENT = 85
STORAGE_BAD_PERCENT = 95
HEALTHY_OUTCOMES = ("activated", "unchanged")
FAILED_OUTCOMES = ("rollback-failed", "failed", "refused")


def none_recorded(kind, what):
    return "None recorded: the run has no %s (%s)." % (kind, what)


def plural(count, noun):
    return "%d %s%s" % (count, noun, "" if count == 1 else "s")


class MachineNames:
    """Machine ids as the inventory host that recorded the machine's AgentMachine document."""

    def __init__(self, evidence):
        self._hosts = {}
        for receipt in evidence.of_kind("AgentMachine"):
            if isinstance(receipt.document.get("id"), str):
                self._hosts.setdefault(receipt.document["id"], receipt.host)

    def label(self, machine_id):
        if not isinstance(machine_id, str) or not machine_id:
            return MISSING
        return self._hosts.get(machine_id) or slug(machine_id)


def build_report(evidence, verification, key_ids):
    """The whole report: overview facts and every section, in layout.SECTIONS order."""
    names = MachineNames(evidence)
    sections = [
        nodes_section(evidence),
        accelerators_section(evidence),
        storage_section(evidence),
        models_section(evidence),
        placements_section(evidence, names),
        activations_section(evidence, names),
        providers_section(evidence, names),
        verification_section(evidence, verification, key_ids),
    ]
    return Report(evidence.run_id, "Fleet report: run %s" % evidence.run_id, overview_facts(evidence, verification, key_ids), sections)


def overview_facts(evidence, verification, key_ids):
    counts = evidence.counts()
    return [
        ("Run", evidence.run_id),
        ("Sealed at", text(evidence.sealed_at) if evidence.sealed_at else "not sealed"),
        ("Nodes", str(len(evidence.latest_per_host("AgentMachine")))),
        ("Receipts", Cell("%s from %s" % (plural(len(evidence.receipts), "receipt"), plural(len(evidence.hosts), "host")),
                          lines=["%s: %d" % (kind, counts[kind]) for kind in sorted(counts, key=str)])),
        ("Verification", verification_badge(verification, key_ids)),
    ]


# --- nodes and accelerators (AgentMachine) ----------------------------------------


def nodes_section(evidence):
    machines = evidence.latest_per_host("AgentMachine")
    if not machines:
        return Section("nodes", [], "0 nodes", none_recorded("AgentMachine", "the probe's document of each node"))
    rows = []
    for host in sorted(machines):
        document = machines[host].document
        rows.append([host, text(field(document, "profile.name")), text(field(document, "host.arch")),
                     _memory(document), _os(document), _podman(document), _warnings(document)])
    table = Table(["Host", "Profile", "Arch", "Memory", "OS", "Podman", "Probe warnings"], rows)
    return Section("nodes", [Block(table=table)], plural(len(rows), "node"))


def _memory(document):
    total = size(field(document, "memory.totalBytes"))
    available = field(document, "memory.availableBytes")
    return total if available is None else "%s (%s available)" % (total, size(available))


def _os(document):
    pretty = field(document, "host.os.prettyName")
    if pretty:
        return text(pretty)
    return text(" ".join(str(part) for part in (field(document, "host.os.id"), field(document, "host.os.versionId")) if part))


def _podman(document):
    if field(document, "runtime.podman.available") is not True:
        return "not installed"
    quadlet = " with Quadlet" if field(document, "runtime.quadlet.available") is True else ", no Quadlet"
    return text(field(document, "runtime.podman.version", "unknown version")) + quadlet


def _warnings(document):
    warnings = lines_of(document.get("warnings"))
    if not warnings:
        return Cell("none", tone="ok")
    return Cell(str(len(warnings)), tone="warn", lines=warnings)


def accelerators_section(evidence):
    machines = evidence.latest_per_host("AgentMachine")
    if not machines:
        return Section("accelerators", [], "0 devices", none_recorded("AgentMachine", "the probe's document of each node"))
    rows = []
    devices = 0
    for host in sorted(machines):
        document = machines[host].document
        types = _accelerator_types(document)
        found = [device for device in items(document, "accelerators.devices") if isinstance(device, dict)]
        devices += len(found)
        if not found:
            rows.append([host, types, Cell("none: CPU inference only", tone="warn"), MISSING, MISSING, MISSING])
        for device in found:
            rows.append([host, types, "%s (%s)" % (text(device.get("name")), text(device.get("type"))),
                         _device_memory(device), _driver(document, device), Cell(lines=_device_details(document, device))])
    table = Table(["Host", "Types", "Device", "Memory", "Driver", "Details"], rows)
    return Section("accelerators", [Block(table=table)], "%s on %s" % (plural(devices, "device"), plural(len(machines), "node")))


def _accelerator_types(document):
    types = field(document, "accelerators.types")
    present = sorted(name for name, value in types.items() if value is True) if isinstance(types, dict) else []
    return ", ".join(present) or MISSING


def _device_memory(device):
    if device.get("unifiedMemory") is True:
        return "unified with the CPU"
    return size(device.get("memoryBytes"))


def _driver(document, device):
    driver = text(device.get("driver"))
    version = field(document, "accelerators.nvidia.driverVersion") if device.get("vendor") == "nvidia" else None
    return driver if not version else "%s %s" % (driver, text(version))


def _device_details(document, device):
    details = []
    if device.get("computeCapability"):
        details.append("compute capability %s" % text(device["computeCapability"]))
    if device.get("architecture"):
        details.append("architecture %s" % text(device["architecture"]))
    if device.get("vendor") == "nvidia" and field(document, "accelerators.nvidia.cudaDriverVersion"):
        details.append("CUDA driver %s" % text(field(document, "accelerators.nvidia.cudaDriverVersion")))
    mig = device.get("mig")
    if isinstance(mig, dict) and mig.get("mode") == "enabled":
        details.append("MIG enabled: %s" % plural(len(items(mig, "instances")), "instance"))
    if device.get("renderNode"):
        details.append("render node %s" % text(device["renderNode"]))
    if device.get("type") == "vulkan":
        details.append("Vulkan usable" if field(document, "accelerators.vulkan.usable") is True else "Vulkan not usable")
    return details or [MISSING]


# --- storage and models ------------------------------------------------------------


def storage_section(evidence):
    receipts = evidence.of_kind("StorageReceipt")
    if not receipts:
        return Section("storage", [], "0 volumes", none_recorded("StorageReceipt", "one per provisioned volume"))
    rows = [_storage_row(receipt.host, receipt.document) for receipt in receipts]
    table = Table(["Host", "Volume class", "Backend", "Mount", "Size", "Used", "Free", "Use", "Outcome", "Mismatches"], rows)
    return Section("storage", [Block(table=table)], plural(len(rows), "volume"))


def _storage_row(host, document):
    backend = text(document.get("backend"))
    if field(document, "lvm.vgName"):
        backend += " %s/%s" % (text(field(document, "lvm.vgName")), text(field(document, "lvm.lvName")))
    mount = text(field(document, "mount.path"))
    if field(document, "mount.mounted") is not True:
        mount += " (not mounted)"
    mismatches = reason_lines(document.get("mismatches"))
    return [host, text(document.get("volumeClass")), backend, mount, size(field(document, "capacity.sizeBytes")),
            size(field(document, "capacity.usedBytes")), size(field(document, "capacity.freeBytes")), _use(document),
            text(document.get("outcome")),
            Cell("none", tone="ok") if not mismatches else Cell(str(len(mismatches)), tone="warn", lines=mismatches)]


def _use(document):
    used = percent(field(document, "capacity.usedBytes"), field(document, "capacity.sizeBytes"))
    if used is None:
        return Cell(MISSING)
    tone = "bad" if used >= STORAGE_BAD_PERCENT else "warn" if used >= STORAGE_WARN_PERCENT else "ok"
    return Cell("%.0f%%" % used, tone=tone, percent=round(used, 1))


def models_section(evidence):
    receipts = evidence.of_kind("ModelReceipt")
    if not receipts:
        return Section("models", [], "0 models", none_recorded("ModelReceipt", "one per model artifact on a node"))
    rows = []
    for receipt in receipts:
        document = receipt.document
        rows.append([receipt.host, text(document.get("ref")), text(document.get("format")), size(document.get("sizeBytes")),
                     short_digest(document.get("digest")), _verified(document), text(document.get("outcome")),
                     text(document.get("lastUsedAt") or document.get("materializedAt"))])
    table = Table(["Host", "Model", "Format", "Size", "Digest", "Digest check", "Outcome", "Last used"], rows)
    return Section("models", [Block(table=table)], plural(len(rows), "model artifact"))


def _verified(document):
    if document.get("outcome") == "quarantined":
        return Cell("quarantined", tone="bad")
    if document.get("verified") is True:
        return Cell("sha256 verified", tone="ok")
    return Cell("not verified", tone="bad")


# --- placements and activation decisions ----------------------------------------------


def placements_section(evidence, names):
    receipts = evidence.of_kind("PlacementDecision")
    if not receipts:
        return Section("placements", [], "0 decisions", none_recorded("PlacementDecision", "where each AgentPod goes"))
    blocks = [_placement_block(receipt, names) for receipt in receipts]
    placed = sum(1 for receipt in receipts if receipt.document.get("status") == "placed")
    return Section("placements", blocks, "%s: %d placed, %d unplaceable" % (
        plural(len(receipts), "decision"), placed, len(receipts) - placed))


def _placement_block(receipt, names):
    document = receipt.document
    chosen = document.get("agentMachineId")
    if document.get("status") == "placed":
        badge = Cell("placed on %s" % names.label(chosen), tone="ok")
        lines = ["Chosen node %s, cold-start cost %s: %s." % (names.label(chosen), seconds(field(document, "cost.total")),
                                                              _cost_terms(document.get("cost")))]
    else:
        badge = Cell(text(document.get("status")), tone="bad")
        lines = ["Not placed: %s." % "; ".join(reason_lines(document.get("reasons")) or [MISSING])]
    lines.append("Decided at %s; recorded by %s." % (text(document.get("decidedAt")), receipt.host))
    candidates = [c for c in items(document, "candidates") if isinstance(c, dict)]
    candidates.sort(key=lambda c: _candidate_order(c, chosen))
    rows = [_candidate_row(candidate, chosen, names) for candidate in candidates]
    table = Table(["Node", "Verdict", "Download", "Load", "Prefill", "Balance", "Total", "Rejection reasons"], rows)
    return Block(title="Pod %s" % slug(document.get("agentPodId")), badge=badge, lines=lines, table=table)


def _cost_terms(cost):
    return ", ".join("%s %s" % (name, seconds(field(cost, key))) for name, key in (
        ("download", "downloadSeconds"), ("load", "loadSeconds"), ("prefill", "prefillSeconds"), ("balance", "balance")))


def _candidate_order(candidate, chosen):
    if candidate.get("agentMachineId") == chosen:
        return (0, 0.0, "")
    total = field(candidate, "cost.total")
    feasible = candidate.get("feasible") is True
    return (1 if feasible else 2, total if isinstance(total, (int, float)) else 0.0, str(candidate.get("agentMachineId")))


def _candidate_row(candidate, chosen, names):
    cost = candidate.get("cost")
    if candidate.get("agentMachineId") == chosen:
        verdict = Cell("chosen", tone="ok")
    elif candidate.get("feasible") is True:
        verdict = Cell("feasible")
    else:
        verdict = Cell("rejected", tone="bad")
    reasons = reason_lines(candidate.get("rejectionReasons"))
    return [names.label(candidate.get("agentMachineId")), verdict,
            seconds(field(cost, "downloadSeconds")), seconds(field(cost, "loadSeconds")),
            seconds(field(cost, "prefillSeconds")), seconds(field(cost, "balance")), seconds(field(cost, "total")),
            Cell(lines=reasons) if reasons else Cell(MISSING)]


def activations_section(evidence, names):
    receipts = evidence.of_kind("ActivationDecision")
    if not receipts:
        return Section("activations", [], "0 decisions", none_recorded("ActivationDecision", "may each pod start"))
    rows = []
    allowed = 0
    for receipt in receipts:
        document = receipt.document
        status = field(document, "decision.status")
        allowed += status == "allowed"
        failures = reason_lines(field(document, "decision.failureReasons"))
        required = lines_of(field(document, "decision.requiredBeforeActivation"))
        rows.append([slug(field(document, "inputs.agentPod.id")), names.label(field(document, "inputs.agentMachine.id")),
                     Cell(text(status), tone="ok" if status == "allowed" else "bad"), text(field(document, "decision.reason")),
                     Cell(lines=failures) if failures else Cell("none"),
                     Cell(lines=required) if required else Cell("nothing"), text(document.get("decidedAt"))])
    table = Table(["Pod", "Node", "Decision", "Reason", "Failure reasons", "Required before activation", "Decided at"], rows)
    return Section("activations", [Block(table=table)], "%s: %d allowed, %d fail-closed" % (
        plural(len(receipts), "decision"), allowed, len(receipts) - allowed))


# --- provider health (RuntimeEvidence) --------------------------------------------------


def providers_section(evidence, names):
    receipts = evidence.of_kind("RuntimeEvidence")
    if not receipts:
        return Section("providers", [], "0 actions", none_recorded("RuntimeEvidence", "what each activation did"))
    rows = []
    healthy = 0
    for receipt in receipts:
        document = receipt.document
        health = _health(document)
        healthy += health.tone == "ok"
        checks = [check for check in items(document, "healthChecks") if isinstance(check, dict)]
        passed = sum(1 for check in checks if check.get("status") == "pass")
        rows.append([slug(document.get("agentPodId")), names.label(document.get("agentMachineId")), text(document.get("unitName")),
                     text(document.get("action")), _outcome(document), health, "%d of %d passed" % (passed, len(checks)),
                     Cell(lines=lines_of(document.get("events")) or [MISSING])])
    table = Table(["Pod", "Node", "Unit", "Action", "Outcome", "Health (last check)", "Checks", "Messages"], rows)
    return Section("providers", [Block(table=table)], "%s, %d healthy" % (plural(len(receipts), "action"), healthy))


def _outcome(document):
    outcome = document.get("outcome")
    if outcome in HEALTHY_OUTCOMES:
        return Cell(text(outcome), tone="ok")
    if outcome == "rolled-back":
        return Cell(text(outcome), tone="warn")
    return Cell(text(outcome), tone="bad" if outcome in FAILED_OUTCOMES else None)


def _health(document):
    checks = [check for check in items(document, "healthChecks") if isinstance(check, dict)]
    if not checks:
        return Cell("not checked", tone="warn")
    last = checks[-1]
    answer = "HTTP %s" % last["httpStatus"] if last.get("httpStatus") is not None else text(last.get("error"))
    if last.get("latencySeconds") is not None:
        answer += " in %s" % latency(last["latencySeconds"])
    if last.get("status") == "pass":
        return Cell("healthy: %s" % answer, tone="ok")
    return Cell("failing: %s" % answer, tone="bad")


# --- receipt verification ------------------------------------------------------------


def verification_badge(verification, key_ids):
    problems = verification["problems"]
    if not key_ids:
        if problems:
            return Cell("not verified: no public key given; %s" % plural(len(problems), "problem"), tone="bad")
        return Cell("not verified: no public key given", tone="warn")
    if problems:
        return Cell("FAILED: %s" % plural(len(problems), "problem"), tone="bad")
    return Cell("verified", tone="ok")


def verification_section(evidence, verification, key_ids):
    problems = verification["problems"]
    lines = []
    if key_ids:
        lines.append("Signature checked against %s." % ", ".join("key %s" % key for key in key_ids))
    else:
        lines.append("No public key was given, so the signature was not checked: pass public_key or public_key_file, "
                     "or set the signing key.")
    lines.append("%s read; %s." % (plural(verification["checked"], "receipt file"),
                                   "sealed at %s" % text(evidence.sealed_at) if evidence.sealed_at else "the run is not sealed"))
    chain_rows = [[host, str(count), short_digest(head),
                   _problem_count([p for p in problems if p["path"].startswith(host + "/")])]
                  for host, count, head in _chains(evidence)]
    blocks = [Block(badge=verification_badge(verification, key_ids), lines=lines,
                    table=Table(["Host", "Receipts", "Chain head", "Problems"], chain_rows))]
    if problems:
        rows = [[problem["path"], Cell(problem["code"], tone="bad"), problem["detail"]] for problem in problems]
        blocks.append(Block(title="Problems", table=Table(["File", "Code", "Detail"], rows)))
    else:
        blocks.append(Block(title="Problems", lines=["No problem found."]))
    summary = verification_badge(verification, key_ids).text
    return Section("verification", blocks, summary)


def _chains(evidence):
    """(host, receipts, chain head digest): from the sealed manifest when there is one, else from the files read."""
    hosts = field(evidence.manifest or {}, "hosts", {})
    if isinstance(hosts, dict) and hosts:
        return [(host, field(info, "count", 0), field(info, "head")) for host, info in sorted(hosts.items())]
    counts = {}
    for receipt in evidence.receipts:
        counts[receipt.host] = counts.get(receipt.host, 0) + 1
    return [(host, counts[host], None) for host in sorted(counts)]


def _problem_count(problems):
    if not problems:
        return Cell("none", tone="ok")
    return Cell(str(len(problems)), tone="bad", lines=sorted({problem["code"] for problem in problems}))
