# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cache inventory of one node: prefix caches in the warm cache and models resident on disk.

Placement reads ``prefixes[].digest`` and ``models[].digest``/``onDisk``.
Which models a running provider has loaded is not visible from the files,
so it is not part of this inventory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.prefixes import scan_prefixes
from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.residency import resident_models

DEFAULT_WARM_CACHE_ROOT = "/var/lib/agent-machine/cache/warm"
DEFAULT_MODELS_ROOT = "/var/lib/agent-machine/models"


def cache_inventory(warm_cache_root=DEFAULT_WARM_CACHE_ROOT, models_root=DEFAULT_MODELS_ROOT, machine_id=None):
    """The inventory document; CacheInventoryError when a cache cannot be read as documented."""
    prefixes, ignored, prefix_dir_found = scan_prefixes(warm_cache_root)
    manifest, manifest_found, models = resident_models(models_root)
    on_disk = [model for model in models if model["onDisk"]]
    return {
        "agentMachineId": machine_id,
        "warmCacheRoot": warm_cache_root,
        "prefixDirFound": prefix_dir_found,
        "prefixes": prefixes,
        "ignored": ignored,
        "modelsRoot": models_root,
        "manifestPath": manifest,
        "manifestFound": manifest_found,
        "models": models,
        "totals": {
            "prefixes": len(prefixes),
            "prefixBytes": sum(prefix["sizeBytes"] for prefix in prefixes),
            "models": len(models),
            "modelsOnDisk": len(on_disk),
            "modelBytesOnDisk": sum(model["sizeBytes"] for model in on_disk),
        },
    }
