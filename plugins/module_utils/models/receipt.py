# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ModelReceipt document of one artifact (contracts/model-receipt.schema.json).

The source is recorded by kind, and for URLs by scheme and host only: never
the path, query, user information or the authorization header.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

SPEC_VERSION = "0.1.0"
MACHINE_ID = re.compile(r"^urn:srcos:agent-machine:machine:([a-z0-9][a-z0-9-]*)$")
RECEIPT_ID_PREFIX = "urn:srcos:agent-machine:model-receipt:"


def timestamp(moment=None):
    """RFC 3339 UTC with a literal Z, whole seconds."""
    moment = moment or datetime.datetime.now(datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def timestamp_from_ns(nanoseconds):
    return timestamp(datetime.datetime.fromtimestamp(nanoseconds / 1e9, datetime.timezone.utc))


def check_machine_id(machine_id):
    """ValueError naming the option when ``machine_id`` is not a machine id."""
    if not isinstance(machine_id, str) or not MACHINE_ID.match(machine_id):
        raise ValueError("machine_id: %r is not urn:srcos:agent-machine:machine:<slug>" % (machine_id,))
    return machine_id


def receipt_id(machine_id, name):
    """``urn:srcos:agent-machine:model-receipt:<machine slug>-<file name slug>``."""
    name_slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"
    return RECEIPT_ID_PREFIX + MACHINE_ID.match(check_machine_id(machine_id)).group(1) + "-" + name_slug


def build_receipt(request, machine_id, outcome, path, observed_digest, size_bytes, entry, recorded_at):
    """The ModelReceipt dict; None when there is no digest to record (an unverified artifact not yet fetched)."""
    digest = request.digest or observed_digest
    if digest is None:
        return None
    verified = request.digest is not None and observed_digest == request.digest and outcome not in ("quarantined", "planned")
    return {
        "specVersion": SPEC_VERSION,
        "kind": "ModelReceipt",
        "id": receipt_id(machine_id, request.name),
        "agentMachineId": machine_id,
        "ref": request.ref,
        "digest": digest,
        "observedDigest": observed_digest,
        "sizeBytes": size_bytes,
        "format": request.format,
        "path": path,
        "source": request.source_record(),
        "verified": verified,
        "materializedAt": entry["materializedAt"] if entry else None,
        "lastUsedAt": entry["lastUsedAt"] if entry else None,
        "outcome": outcome,
        "recordedAt": recorded_at,
    }
