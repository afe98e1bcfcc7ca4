# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check every placement input and turn it into a Fleet, its initial state and PodRequests.

Each problem raises PlacementInputError naming the option and the entry
(``pods[3]: $.resources.cpu: ...``, ``inventories[urn:...].prefixes[2].digest: ...``)
before anything is placed. Machine ids in the options must be among the
machines: a misspelt id in ``cordoned`` must not go unnoticed.
"""

from __future__ import annotations

import re

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    DIGEST_REGEX, VOLUME_CLASSES, urn_pattern,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import ContractError, validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.errors import PlacementInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.fleet import (
    EXPOSURE_BITS, Fleet, Scope, machine_facts,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.pods import pod_request
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.state import FleetState, Residency

__all__ = ["pod_requests", "fleet_and_state"]

_DIGEST = re.compile(DIGEST_REGEX)
_PROVIDER_ID = re.compile(urn_pattern("provider"))
_SCOPE_LISTS = {"providerIds": "provider", "networkExposure": "exposure"}


def _list(value, field):
    if value is None:
        return []
    if not isinstance(value, list):
        raise PlacementInputError(field, "must be a list")
    return value


def _mapping(value, field):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PlacementInputError(field, "must be a mapping")
    return value


def _validated(kind, document, field):
    if not isinstance(document, dict):
        raise PlacementInputError(field, "must be a %s document (a mapping)" % kind)
    try:
        validate_document(kind, document, source=field)
    except ContractError as exc:
        raise PlacementInputError(field, "; ".join("%s: %s" % problem for problem in exc.problems)) from None
    return document


def _unique_ids(documents, field):
    seen = {}
    for position, document in enumerate(documents):
        if document["id"] in seen:
            raise PlacementInputError("%s[%d].id" % (field, position), "%s is also %s[%d]" % (document["id"], field, seen[document["id"]]))
        seen[document["id"]] = position


def pod_requests(pods):
    """PodRequests of the AgentPod documents, each validated against its contract."""
    documents = [_validated("AgentPod", pod, "pods[%d]" % position) for position, pod in enumerate(_list(pods, "pods"))]
    _unique_ids(documents, "pods")
    return [pod_request(document, position, "pods[%d]" % position) for position, document in enumerate(documents)]


def _known(machine_id, ids, field):
    if machine_id not in ids:
        raise PlacementInputError(field, "%s is not one of the machines" % machine_id)
    return machine_id


def _digests(values, field):
    digests = []
    for position, value in enumerate(_list(values, field)):
        if not isinstance(value, str) or not _DIGEST.match(value):
            raise PlacementInputError("%s[%d]" % (field, position), "must be a sha256 digest (sha256:<64 lowercase hex digits>)")
        digests.append(value)
    return digests


def _inventory_digests(entries, field, present_key=None):
    """Digests of inventory entries ({digest, ...}); entries whose ``present_key`` is false are left out."""
    digests = []
    for position, entry in enumerate(_list(entries, field)):
        where = "%s[%d]" % (field, position)
        if not isinstance(entry, dict):
            raise PlacementInputError(where, "must be a mapping with a digest")
        digest = entry.get("digest")
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise PlacementInputError(where + ".digest", "must be a sha256 digest (sha256:<64 lowercase hex digits>)")
        present = entry.get(present_key, True) if present_key else True
        if not isinstance(present, bool):
            raise PlacementInputError("%s.%s" % (where, present_key), "must be true or false")
        if present:
            digests.append(digest)
    return digests


def _keyed_inventories(inventories):
    """[(field, machine id, inventory)] from a mapping by machine id or a list of inventories naming their machine."""
    if isinstance(inventories, list):
        keyed = []
        for position, inventory in enumerate(inventories):
            field = "inventories[%d]" % position
            inventory = _mapping(inventory, field)
            if not isinstance(inventory.get("agentMachineId"), str):
                raise PlacementInputError(field + ".agentMachineId", "field required in a list of inventories "
                                          "(run cache_inventory with machine_id, or give a mapping by machine id)")
            keyed.append((field, inventory["agentMachineId"], inventory))
        return keyed
    return [("inventories[%s]" % machine_id, machine_id, inventory)
            for machine_id, inventory in _mapping(inventories, "inventories").items()]


def _residency(inventories, loaded_models, ids):
    residency = {}
    for field, machine_id, inventory in _keyed_inventories(inventories):
        _known(machine_id, ids, field)
        inventory = _mapping(inventory, field)
        residency[machine_id] = Residency(
            on_disk=_inventory_digests(inventory.get("models"), field + ".models", present_key="onDisk"),
            prefixes=_inventory_digests(inventory.get("prefixes"), field + ".prefixes"))
    for machine_id, digests in _mapping(loaded_models, "loaded_models").items():
        field = "loaded_models[%s]" % machine_id
        _known(machine_id, ids, field)
        held = residency.setdefault(machine_id, Residency())
        residency[machine_id] = Residency(held.on_disk, _digests(digests, field), held.prefixes)
    return residency


def _volume_classes(volume_classes, storage_receipts, ids):
    """{machine id: set of volume classes}; machines absent from both inputs are unknown."""
    classes = {}
    for machine_id, names in _mapping(volume_classes, "volume_classes").items():
        field = "volume_classes[%s]" % machine_id
        _known(machine_id, ids, field)
        for position, name in enumerate(_list(names, field)):
            if name not in VOLUME_CLASSES:
                raise PlacementInputError("%s[%d]" % (field, position), "unknown volume class; expected one of %s" % ", ".join(VOLUME_CLASSES))
        classes.setdefault(machine_id, set()).update(names)
    for position, receipt in enumerate(_list(storage_receipts, "storage_receipts")):
        field = "storage_receipts[%d]" % position
        _validated("StorageReceipt", receipt, field)
        machine_id = _known(receipt["agentMachineId"], ids, field + ".agentMachineId")
        classes.setdefault(machine_id, set()).add(receipt["volumeClass"])
    return classes


def _scope_list(values, field, kind):
    items = _list(values, field)
    for position, item in enumerate(items):
        valid = item in EXPOSURE_BITS if kind == "exposure" else isinstance(item, str) and _PROVIDER_ID.match(item)
        if not valid:
            expected = "one of %s" % ", ".join(EXPOSURE_BITS) if kind == "exposure" else "a provider id (urn:srcos:agent-machine:provider:<slug>)"
            raise PlacementInputError("%s[%d]" % (field, position), "must be %s" % expected)
    return items


def _scope(value, field):
    value = _mapping(value, field)
    for key in value:
        if key not in ("allowed", "denied"):
            raise PlacementInputError("%s.%s" % (field, key), "unknown key; expected allowed, denied")
    sides = {}
    for side in ("allowed", "denied"):
        entries = _mapping(value.get(side), "%s.%s" % (field, side))
        for key in entries:
            if key not in _SCOPE_LISTS:
                raise PlacementInputError("%s.%s.%s" % (field, side, key), "unknown key; expected %s" % ", ".join(_SCOPE_LISTS))
        sides[side] = {key: _scope_list(entries[key], "%s.%s.%s" % (field, side, key), kind)
                       for key, kind in _SCOPE_LISTS.items() if key in entries}
    allowed, denied = sides["allowed"], sides["denied"]
    return Scope(allowed.get("providerIds"), denied.get("providerIds", ()),
                 allowed.get("networkExposure"), denied.get("networkExposure", ()))


def _scopes(scopes, ids):
    result = {}
    for machine_id, value in _mapping(scopes, "scopes").items():
        field = "scopes[%s]" % machine_id
        result[_known(machine_id, ids, field)] = _scope(value, field)
    return result


def _cordoned(cordoned, ids):
    names = _list(cordoned, "cordoned")
    return set(_known(name, ids, "cordoned[%d]" % position) for position, name in enumerate(names))


def _running(running, fleet, state):
    for position, entry in enumerate(_list(running, "running")):
        field = "running[%d]" % position
        entry = _mapping(entry, field)
        machine_id = _known(entry.get("agentMachineId"), fleet.index, field + ".agentMachineId")
        pod = pod_request(_validated("AgentPod", entry.get("agentPod"), field + ".agentPod"), position, field + ".agentPod")
        node = fleet.index[machine_id]
        served = [bool(fleet.has_accelerator(request.type)[node]) for request in pod.accelerators]
        state.apply(pod, node, served)


def fleet_and_state(machines, parameters, inventories=None, loaded_models=None, cordoned=None, volume_classes=None,
                    storage_receipts=None, scopes=None, running=None):
    """The Fleet and its state before the batch, from the AgentMachine documents and the other options."""
    documents = [_validated("AgentMachine", machine, "machines[%d]" % position)
                 for position, machine in enumerate(_list(machines, "machines"))]
    _unique_ids(documents, "machines")
    ids = set(document["id"] for document in documents)
    for machine_id in parameters.machines:
        _known(machine_id, ids, "parameters.machines[%s]" % machine_id)
    classes = _volume_classes(volume_classes, storage_receipts, ids)
    machine_scopes = _scopes(scopes, ids)
    cordoned_ids = _cordoned(cordoned, ids)
    residency = _residency(inventories, loaded_models, ids)
    facts = [machine_facts(document, volume_classes=classes.get(document["id"]), scope=machine_scopes.get(document["id"]),
                           cordoned=document["id"] in cordoned_ids) for document in documents]
    fleet = Fleet(facts, memory_reserved_fraction=parameters.memory_reserved_fraction,
                  cpu_reserved_fraction=parameters.cpu_reserved_fraction)
    state = FleetState(fleet, residency)
    _running(running, fleet, state)
    return fleet, state
