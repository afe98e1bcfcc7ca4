# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""RuntimeEvidence documents (contracts/runtime-evidence.schema.json) built on the node.

Plain dicts: the node has no pydantic. The controller-side action validates
every document against the contract before it is returned. Evidence holds
unit names, digests, states and health results, never unit text or
response bodies.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SPEC_VERSION = "0.1.0"
URN_PREFIX = "urn:srcos:agent-machine:"
_MAX_TEXT = 4096


def _slug(urn):
    return urn.rsplit(":", 1)[1]


def text(value):
    """A non-empty message of at most 4096 characters, on one line."""
    value = " ".join(str(value).split()) or "-"
    return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT - 3] + "..."


def runtime_evidence(provider, action, outcome, started_at, finished_at, previous_digest=None, new_digest=None,
                     rolled_back=False, checks=(), messages=()):
    """One RuntimeEvidence document for one lifecycle action on one provider."""
    return {
        "specVersion": SPEC_VERSION,
        "kind": "RuntimeEvidence",
        "id": "%sruntime-evidence:%s-%s-%s" % (
            URN_PREFIX, _slug(provider["agent_pod_id"]), _slug(provider["agent_machine_id"]), action),
        "agentPodId": provider["agent_pod_id"],
        "agentMachineId": provider["agent_machine_id"],
        "activationDecision": provider.get("activation_decision"),
        "action": action,
        "outcome": outcome,
        "unitName": provider["name"] + ".service",
        "previousRevisionDigest": previous_digest,
        "newRevisionDigest": new_digest,
        "rolledBack": bool(rolled_back),
        "healthChecks": list(checks),
        "wiped": [],
        "events": [text(message) for message in messages],
        "startedAt": started_at,
        "finishedAt": finished_at,
    }
