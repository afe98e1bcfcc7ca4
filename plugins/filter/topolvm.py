# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters rendering TopoLVM and LVMS documents from the storage layout.

Documentation: topolvm_lvmd_config.yml, topolvm_storage_classes.yml and
lvms_cluster.yml next to this file.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage import topolvm


def _rendered(filter_name, function, args, kwargs):
    try:
        return function(*args, **kwargs)
    except topolvm.TopolvmLayoutError as exc:
        raise AnsibleFilterError("%s: %s" % (filter_name, exc)) from None


def topolvm_lvmd_config(layout, socket_name=topolvm.DEFAULT_SOCKET_NAME):
    """lvmd.yaml (as a dict) for the layout's TopoLVM device classes."""
    return _rendered("topolvm_lvmd_config", topolvm.lvmd_config, (layout,), {"socket_name": socket_name})


def topolvm_storage_classes(layout, fstype_by_class=None):
    """A topolvm.io StorageClass per TopoLVM device class."""
    return _rendered("topolvm_storage_classes", topolvm.storage_classes, (layout,), {"fstype_by_class": fstype_by_class})


def lvms_cluster(layout, name="agent-machine", namespace="openshift-storage", fstype_by_class=None,
                 require_thin_pool=False):
    """An LVMS LVMCluster with a device class per TopoLVM volume group."""
    return _rendered("lvms_cluster", topolvm.lvms_cluster, (layout,), {
        "name": name, "namespace": namespace, "fstype_by_class": fstype_by_class, "require_thin_pool": require_thin_pool,
    })


class FilterModule:
    """TopoLVM and LVMS rendering filters."""

    def filters(self):
        return {
            "topolvm_lvmd_config": topolvm_lvmd_config,
            "topolvm_storage_classes": topolvm_storage_classes,
            "lvms_cluster": lvms_cluster,
        }
