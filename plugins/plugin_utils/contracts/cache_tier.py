# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CacheTier: one cache volume class on the nodes (hot tmpfs, warm KV/prefix, cold) and its reuse rules."""

from __future__ import annotations

from typing import List, Literal, Optional

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import Field
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    AbsolutePath, ByteSize, CacheTierId, Document, Durability, MachineId, Section, check_unique, rule,
)

CacheBackend = Literal["tmpfs", "lvm-thin", "lvm-linear", "directory"]
CacheContent = Literal["kv-cache", "prefix-cache", "embeddings", "compiled-kernels", "scratch"]


class CacheReuse(Section):
    """Who may read what another workload left in the cache."""

    scope: Literal["none", "pod", "workroom", "machine"] = Field(
        description="Widest set of workloads that may share an entry.")
    requires_policy: bool = Field(default=True, description="Reuse across workloads needs a PolicyAdmission allowing reuse-cache.")
    ttl_seconds: Optional[int] = Field(default=None, ge=1, description="Entries older than this are not reused; null: no limit.")
    eviction: Literal["lru", "ttl", "manual"] = "lru"


class CacheTier(Document):
    """A cache tier: where it lives, how long it survives, how it may be reused."""

    model_config = {"json_schema_extra": {"allOf": [
        rule({"backend": {"const": "tmpfs"}}, {"durability": {"const": "ephemeral"}}),
    ]}}

    kind: Literal["CacheTier"]
    id: CacheTierId
    agent_machine_id: Optional[MachineId] = Field(
        default=None, description="The machine this tier is on; null: a layout applied to every machine.")
    volume_class: Literal["agent-cache-hot", "agent-cache-warm", "agent-cache-cold"]
    durability: Durability
    backend: CacheBackend
    size_bytes: ByteSize
    mount_path: AbsolutePath
    contents: List[CacheContent] = []
    reuse: CacheReuse

    def model_post_init(self, context, /):
        check_unique(self.contents, "contents")
        if self.backend == "tmpfs" and self.durability != "ephemeral":
            raise ValueError("a tmpfs tier is ephemeral, not %s" % self.durability)
