"""The TopoLVM/LVMS filters run by real Ansible, and their documentation through ansible-doc."""

import json
import subprocess

import pytest

from ansible_run import REPO_ROOT, adhoc, ansible_env
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage.k8s_validation import validate_manifests
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage.topolvm import (
    lvmd_config, lvms_cluster, storage_classes,
)

LAYOUT = {
    "volume_groups": [
        {"name": "vg_agent", "devices": ["/dev/nvme1n1"], "topolvm": {"device_class": "nvme", "default": True}},
        {"name": "vg_fast", "devices": ["/dev/nvme2n1"], "topolvm": {"device_class": "fast", "spare_gb": 5},
         "thin_pool": {"name": "pool_fast", "size": "80%VG", "overprovision_ratio": 4.0}},
    ],
    "volumes": [
        {"volume_class": "agent-models", "volume_group": "vg_agent", "size": "20G", "filesystem": "xfs"},
        {"volume_class": "agent-scratch", "volume_group": "vg_fast", "size": "5G", "thin": True, "filesystem": "ext4"},
    ],
}
FILTERS = ("topolvm_lvmd_config", "topolvm_storage_classes", "lvms_cluster")


def render(expression, layout=None):
    variables = {"layout": LAYOUT if layout is None else layout}
    return adhoc("ansible.builtin.debug", "msg={{ %s }}" % expression, extra=["-e", json.dumps(variables)])


def test_lvmd_config_filter():
    rc, result = render("layout | sourceos.agent_machine.topolvm_lvmd_config")
    assert rc == 0, result
    assert result["msg"] == lvmd_config(LAYOUT)
    assert result["msg"]["device-classes"][1]["thin-pool"]["overprovision-ratio"] == 4.0


def test_lvmd_config_filter_with_socket_and_yaml_order():
    rc, result = render("layout | sourceos.agent_machine.topolvm_lvmd_config(socket_name='/run/lvmd/lvmd.socket') "
                        "| to_nice_yaml(sort_keys=false)")
    assert rc == 0, result
    assert result["msg"].startswith("socket-name: /run/lvmd/lvmd.socket\ndevice-classes:\n-   name: nvme\n"
                                    "    volume-group: vg_agent\n    default: true\n    spare-gb: 10\n")


def test_storage_classes_filter_output_validates():
    rc, result = render("layout | sourceos.agent_machine.topolvm_storage_classes(fstype_by_class={'nvme': 'ext4'})")
    assert rc == 0, result
    assert result["msg"] == storage_classes(LAYOUT, fstype_by_class={"nvme": "ext4"})
    assert len(validate_manifests(result["msg"])) == 2


def test_lvms_cluster_filter_output_validates():
    rc, result = render("layout | sourceos.agent_machine.lvms_cluster(name='node-a', namespace='openshift-lvm-storage')")
    assert rc == 0, result
    assert result["msg"] == lvms_cluster(LAYOUT, name="node-a", namespace="openshift-lvm-storage")
    assert result["msg"]["spec"]["storage"]["deviceClasses"][1]["thinPoolConfig"] == {
        "name": "pool_fast", "sizePercent": 80, "overprovisionRatio": 4}
    validate_manifests(result["msg"])


def test_filter_error_names_the_field():
    layout = json.loads(json.dumps(LAYOUT))
    layout["volume_groups"][1]["topolvm"]["default"] = True
    rc, result = render("layout | sourceos.agent_machine.topolvm_lvmd_config", layout)
    assert rc != 0
    assert result.get("failed") is True
    assert "agent_machine_storage.volume_groups[1].topolvm.default" in result["msg"]


def test_thin_pool_requirement_through_ansible():
    rc, result = render("layout | sourceos.agent_machine.lvms_cluster(require_thin_pool=true)")
    assert rc != 0
    assert "agent_machine_storage.volume_groups[0].thin_pool" in result["msg"]


@pytest.mark.parametrize("name", FILTERS)
def test_ansible_doc_shows_each_filter(name):
    proc = subprocess.run(["ansible-doc", "-t", "filter", "--json", "sourceos.agent_machine." + name],
                          env=ansible_env(), capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)["sourceos.agent_machine." + name]
    assert doc["doc"]["name"] == name
    assert "_input" in doc["doc"]["options"]
    assert doc["examples"] and doc["return"]["_value"]
