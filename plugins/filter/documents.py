# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the collection's documents: their digests and machine ids.
Documentation: document_digest.yml and machine_id.yml next to this file."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.document import machine_id as machine_id_of
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest as digest_of


def document_digest(document):
    """``sha256:<hex>`` of the document's canonical JSON (sorted keys, compact separators, UTF-8)."""
    if not isinstance(document, dict):
        raise AnsibleFilterError("document_digest: expected a document (a mapping), got %s" % type(document).__name__)
    try:
        return digest_of(plain(document))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("document_digest: the document is not plain JSON data: %s" % exc) from None


def machine_id(hostname):
    """The AgentMachine id the probe gives a node with this hostname."""
    if not isinstance(hostname, str) or not hostname:
        raise AnsibleFilterError("machine_id: expected a hostname, got %r" % (hostname,))
    return machine_id_of(hostname)


class FilterModule:
    """Document filters."""

    def filters(self):
        return {"document_digest": document_digest, "machine_id": machine_id}
