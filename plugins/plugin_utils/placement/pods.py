# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What placement needs of an AgentPod, read once from the (validated) document."""

from __future__ import annotations

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.errors import PlacementInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.follow_on import Followers

__all__ = ["AcceleratorRequest", "PodRequest", "pod_request"]

# Volume entries the container runtime provides itself (tmpfs): no volume class needed on the machine.
RUNTIME_PROVIDED = "runtime-managed"


class AcceleratorRequest:
    """One entry of resources.accelerators (never of type cpu, which every machine has).

    ``memory`` is the accelerator memory per device in bytes, or None: the
    pod takes whole, otherwise idle devices.
    """

    def __init__(self, position, field, kind, required, count, memory):
        self.position = position
        self.field = field
        self.type = kind
        self.required = required
        self.count = count
        self.memory = memory

    @property
    def exclusive(self):
        return self.memory is None

    def key(self):
        return (self.type, self.required, self.count, self.memory)


class PodRequest:
    """The placement view of one AgentPod (``document`` is the pod as given)."""

    def __init__(self, document, index, field):
        self.document = document
        self.index = index
        self.id = document["id"]
        self.slug = self.id.rsplit(":", 1)[1]
        self.provider_id = document["providerId"]
        self.workroom = document["workload"]["workroomRef"]
        model = document["model"]
        self.model_ref = model["ref"]
        self.model_digest = model["digest"]
        self.model_bytes = int(model["sizeBytes"])
        resources = document["resources"]
        self.cpu = float(resources["cpu"])
        self.memory = float(resources["memoryBytes"])
        self.accelerators = _accelerators(resources.get("accelerators") or [], field)
        self.volume_classes = [(position, mount["volumeClass"]) for position, mount in enumerate(document.get("storage") or [])
                               if mount["accessMode"] != RUNTIME_PROVIDED]
        self.exposures = [(position, port["exposure"]) for position, port in enumerate(document.get("ports") or [])
                          if port["exposure"] != "none"]
        placement = document.get("placement") or {}
        self.architectures = tuple(placement.get("architectures") or ())
        self.profiles = tuple(placement.get("profiles") or ())
        self.machine_ids = tuple(placement.get("machineIds") or ())
        context = document.get("context") or {}
        self.prefix_digests = tuple(context.get("prefixDigests") or ())
        self.prefix_tokens = float(context.get("prefixTokens") or 0)
        self.prefix_ends = _prefix_ends(self.prefix_digests, context.get("prefixTokenCounts") or [], self.prefix_tokens)
        self.followers = Followers()  # set for the batch by the engine
        # Pods with equal keys pass and fail the same static filters.
        self.static_key = (
            self.architectures, self.profiles, self.machine_ids, self.provider_id,
            tuple(sorted(set(kind for _position, kind in self.volume_classes))),
            tuple(sorted(set(kind for _position, kind in self.exposures))),
            tuple(request.type for request in self.accelerators if request.required),
        )


def _accelerators(entries, pod_field):
    requests = []
    seen = set()
    for position, entry in enumerate(entries):
        field = "%s.resources.accelerators[%d]" % (pod_field, position)
        if entry["type"] == "cpu":
            continue
        if entry["type"] in seen:
            raise PlacementInputError(field + ".type", "%s is requested twice; ask once with the total count" % entry["type"])
        seen.add(entry["type"])
        if entry["count"] < 1:
            continue
        memory = entry.get("memoryBytes")
        requests.append(AcceleratorRequest(
            position, "$.resources.accelerators[%d]" % position, entry["type"], bool(entry["required"]),
            int(entry["count"]), None if memory is None else float(memory)))
    return requests


def _prefix_ends(digests, counts, total):
    """Tokens from the start of the context to the end of each prefix."""
    if counts:
        return tuple(float(count) for count in counts)
    if not digests:
        return ()
    step = total / len(digests)
    return tuple(step * (position + 1) for position in range(len(digests)))


def pod_request(document, index, field):
    """PodRequest of a validated AgentPod document; ``field`` names it in errors (``pods[3]``)."""
    return PodRequest(document, index, field)
