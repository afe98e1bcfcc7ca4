"""StorageClass and LVMCluster rendering, validated offline against Kubernetes and LVMS schemas."""

import copy
import json
import os
import socket

import jsonschema
import pytest

from ansible.errors import AnsibleError

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage import k8s_validation
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage.k8s_validation import (
    EXTERNAL_SCHEMAS_DIR, ManifestValidationError, bundled_kubernetes_versions, validate_manifests,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage.topolvm import (
    TopolvmLayoutError, lvms_cluster, storage_classes,
)

LVMCLUSTER_SCHEMA = os.path.join(EXTERNAL_SCHEMAS_DIR, "lvmcluster.v1alpha1.schema.json")


def error_of(call, *args, **kwargs):
    with pytest.raises(TopolvmLayoutError) as caught:
        call(*args, **kwargs)
    return caught.value


def problems_of(manifests, **kwargs):
    with pytest.raises(ManifestValidationError) as caught:
        validate_manifests(manifests, **kwargs)
    return caught.value.lines


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection or resolve a name fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted: %r" % (args,))
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# ---------------------------------------------------------------- StorageClass

def test_storage_class_per_device_class(thick_and_thin):
    nvme, fast = storage_classes(thick_and_thin)
    assert nvme == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "topolvm-nvme", "labels": {"app.kubernetes.io/managed-by": "sourceos.agent_machine"}},
        "provisioner": "topolvm.io",
        "parameters": {"topolvm.io/device-class": "nvme", "csi.storage.k8s.io/fstype": "xfs"},
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    assert fast["metadata"]["name"] == "topolvm-fast"
    assert fast["parameters"] == {"topolvm.io/device-class": "fast", "csi.storage.k8s.io/fstype": "ext4"}


def test_fstype_comes_from_the_device_class_not_the_node_volumes(single_thick):
    assert storage_classes(single_thick)[0]["parameters"]["csi.storage.k8s.io/fstype"] == "xfs"
    single_thick["volumes"] = [{"volume_class": "agent-models", "volume_group": "vg_agent", "filesystem": "ext4"},
                               {"volume_class": "agent-scratch", "volume_group": "vg_agent", "filesystem": "xfs"}]
    assert storage_classes(single_thick)[0]["parameters"]["csi.storage.k8s.io/fstype"] == "xfs"
    single_thick["volume_groups"][0]["topolvm"]["fstype"] = "ext4"
    assert storage_classes(single_thick)[0]["parameters"]["csi.storage.k8s.io/fstype"] == "ext4"


def test_override_wins_over_the_device_class(thick_and_thin):
    classes = storage_classes(thick_and_thin, fstype_by_class={"nvme": "ext4"})
    assert classes[0]["parameters"]["csi.storage.k8s.io/fstype"] == "ext4"


def test_fstype_override_is_checked(thick_and_thin):
    assert error_of(storage_classes, thick_and_thin, fstype_by_class={"nvme": "btrfs"}).field == "fstype_by_class.nvme"
    assert error_of(storage_classes, thick_and_thin, fstype_by_class={"hdd": "xfs"}).field == "fstype_by_class.hdd"


def test_device_class_fstype_is_checked(thick_and_thin):
    thick_and_thin["volume_groups"][1]["topolvm"]["fstype"] = "zfs"
    assert error_of(storage_classes, thick_and_thin).field == "agent_machine_storage.volume_groups[1].topolvm.fstype"


def test_no_topolvm_volume_group_means_no_storage_class(single_thick):
    del single_thick["volume_groups"][0]["topolvm"]
    assert not storage_classes(single_thick)


@pytest.mark.parametrize("version", ["1.25", "1.30", "1.37"])
def test_storage_classes_validate_with_kubernetes_validate(thick_and_thin, version):
    results = validate_manifests(storage_classes(thick_and_thin), kubernetes_version=version)
    assert [(r["kind"], r["name"]) for r in results] == [("StorageClass", "topolvm-nvme"), ("StorageClass", "topolvm-fast")]
    assert results[0]["schema"].startswith("kubernetes %s (kubernetes-validate " % version)


def test_every_bundled_version_accepts_them_offline(thick_and_thin, no_network):
    versions = bundled_kubernetes_versions()
    assert "1.25" in versions and len(versions) >= 2
    for version in versions:
        validate_manifests(storage_classes(thick_and_thin), kubernetes_version=version)


@pytest.mark.parametrize("change, expected", [
    ({"volumeBindingMode": "Sometimes"},
     "StorageClass/topolvm-nvme: $.volumeBindingMode: 'Sometimes' is not supported; "
     "expected one of Immediate, WaitForFirstConsumer"),
    ({"provisioner": None}, "StorageClass/topolvm-nvme: $.provisioner: field required"),
    ({"provisioner": "topolvm io"}, "StorageClass/topolvm-nvme: $.provisioner: must be a qualified name such as topolvm.io"),
    ({"reclaimPolicy": "Recycle"},
     "StorageClass/topolvm-nvme: $.reclaimPolicy: 'Recycle' is not supported; expected one of Delete, Retain"),
    ({"allowVolumeExpansion": "yes"}, "StorageClass/topolvm-nvme: $.allowVolumeExpansion: 'yes' is not of type 'boolean', 'null'"),
    ({"volumeBindingMod": "Immediate"}, "StorageClass/topolvm-nvme: $.volumeBindingMod: unknown field"),
    ({"parameters": {"topolvm.io/device-class": 7}},
     'StorageClass/topolvm-nvme: $.parameters["topolvm.io/device-class"]: 7 is not of type \'string\', \'null\''),
])
def test_broken_storage_class_fails_naming_the_field(thick_and_thin, change, expected):
    manifest = storage_classes(thick_and_thin)[0]
    for key, value in change.items():
        if value is None:
            del manifest[key]
        else:
            manifest[key] = value
    assert problems_of([manifest]) == [expected]


def test_bad_name_is_refused(thick_and_thin):
    manifest = storage_classes(thick_and_thin)[0]
    manifest["metadata"]["name"] = "TopoLVM_nvme"
    assert problems_of(manifest) == [
        "StorageClass/TopoLVM_nvme: $.metadata.name: must be a DNS subdomain (lowercase letters, digits, '-' and '.')"]


def test_non_strict_allows_unknown_fields(thick_and_thin):
    manifest = storage_classes(thick_and_thin)[0]
    manifest["extra"] = True
    assert problems_of(manifest) == ["StorageClass/topolvm-nvme: $.extra: unknown field"]
    (result,) = validate_manifests(manifest, strict=False)
    assert result["schema"].startswith("kubernetes ") and ", strict" not in result["schema"]


def test_every_problem_of_every_manifest_is_reported(thick_and_thin):
    nvme, fast = storage_classes(thick_and_thin)
    nvme["volumeBindingMode"] = "Sometimes"
    del fast["provisioner"]
    assert problems_of([nvme, fast]) == [
        "StorageClass/topolvm-nvme: $.volumeBindingMode: 'Sometimes' is not supported; expected one of Immediate, WaitForFirstConsumer",
        "StorageClass/topolvm-fast: $.provisioner: field required",
    ]


@pytest.mark.parametrize("version", ["1.24", "1.99", "latest", "2"])
def test_unbundled_kubernetes_version_is_refused(thick_and_thin, version):
    with pytest.raises(ValueError, match="^kubernetes_version: "):
        validate_manifests(storage_classes(thick_and_thin), kubernetes_version=version)


def test_kubernetes_version_spellings(thick_and_thin):
    for version in ("v1.30", "1.30.4", "v1.30.0"):
        assert "kubernetes 1.30 " in validate_manifests(storage_classes(thick_and_thin), kubernetes_version=version)[0]["schema"]


def test_unknown_kind_fails_closed():
    manifest = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    (line,) = problems_of(manifest)
    assert line.startswith("Gadget/g: $.kind: no schema for kind Gadget with apiVersion example.com/v1")


def test_manifest_without_kind_is_refused():
    assert problems_of([{"metadata": {"name": "x"}}]) == [
        "manifests[0]: $.apiVersion: field required", "manifests[0]: $.kind: field required"]
    assert problems_of(["text"]) == ["manifests[0]: $: expected an object"]


def test_missing_kubernetes_validate_is_one_clear_error(monkeypatch, thick_and_thin):
    monkeypatch.setattr(k8s_validation, "KUBERNETES_VALIDATE_IMPORT_ERROR", ImportError("No module named 'kubernetes_validate'"))
    with pytest.raises(AnsibleError, match="needs the Python package 'kubernetes-validate'"):
        validate_manifests(storage_classes(thick_and_thin))


# ---------------------------------------------------------------- LVMCluster

def test_lvms_cluster_from_thick_and_thin(thick_and_thin):
    cluster = lvms_cluster(thick_and_thin)
    assert cluster["apiVersion"] == "lvm.topolvm.io/v1alpha1" and cluster["kind"] == "LVMCluster"
    assert cluster["metadata"] == {
        "name": "agent-machine", "namespace": "openshift-storage",
        "labels": {"app.kubernetes.io/managed-by": "sourceos.agent_machine"},
    }
    nvme, fast = cluster["spec"]["storage"]["deviceClasses"]
    assert nvme == {"name": "nvme", "default": True, "fstype": "xfs", "deviceSelector": {"paths": ["/dev/nvme1n1"]}}
    assert fast == {
        "name": "fast", "default": False, "fstype": "ext4",
        "deviceSelector": {"paths": ["/dev/nvme2n1", "/dev/nvme3n1"]},
        "thinPoolConfig": {"name": "pool_fast", "sizePercent": 90, "overprovisionRatio": 4},
    }
    assert isinstance(fast["thinPoolConfig"]["overprovisionRatio"], int)
    assert isinstance(fast["thinPoolConfig"]["sizePercent"], int)


def test_lvms_cluster_validates_against_the_schema(thick_and_thin, no_network):
    (result,) = validate_manifests(lvms_cluster(thick_and_thin, name="node-a", namespace="openshift-lvm-storage"))
    assert result == {"kind": "LVMCluster", "name": "node-a", "apiVersion": "lvm.topolvm.io/v1alpha1",
                      "schema": "contracts/external/lvmcluster.v1alpha1.schema.json"}


def test_storage_classes_and_cluster_validate_together(thick_and_thin):
    manifests = storage_classes(thick_and_thin) + [lvms_cluster(thick_and_thin)]
    assert [r["kind"] for r in validate_manifests(manifests)] == ["StorageClass", "StorageClass", "LVMCluster"]


def test_thick_volume_group_is_a_thick_device_class_unless_thin_pools_are_required(thick_and_thin):
    nvme = lvms_cluster(thick_and_thin)["spec"]["storage"]["deviceClasses"][0]
    assert "thinPoolConfig" not in nvme
    error = error_of(lvms_cluster, thick_and_thin, require_thin_pool=True)
    assert error.field == "agent_machine_storage.volume_groups[0].thin_pool"
    assert "require_thin_pool" in str(error)


@pytest.mark.parametrize("size, percent", [(None, 90), ("90%VG", 90), ("50%FREE", 50), ("100%vg", 100), (" 10 %VG", 10)])
def test_thin_pool_size_becomes_size_percent(thick_and_thin, size, percent):
    thick_and_thin["volume_groups"][1]["thin_pool"]["size"] = size
    assert lvms_cluster(thick_and_thin)["spec"]["storage"]["deviceClasses"][1]["thinPoolConfig"]["sizePercent"] == percent


@pytest.mark.parametrize("size", ["500G", 536870912000, "5%VG", "12.5%VG", "50%PVS"])
def test_thin_pool_size_lvms_cannot_express_names_the_field(thick_and_thin, size):
    thick_and_thin["volume_groups"][1]["thin_pool"]["size"] = size
    assert error_of(lvms_cluster, thick_and_thin).field == "agent_machine_storage.volume_groups[1].thin_pool.size"


@pytest.mark.parametrize("ratio", [2.5, 101])
def test_overprovision_ratio_lvms_cannot_take_names_the_field(thick_and_thin, ratio):
    thick_and_thin["volume_groups"][1]["thin_pool"]["overprovision_ratio"] = ratio
    error = error_of(lvms_cluster, thick_and_thin)
    assert error.field == "agent_machine_storage.volume_groups[1].thin_pool.overprovision_ratio"


@pytest.mark.parametrize("devices, field", [
    ([], "agent_machine_storage.volume_groups[0].devices"),
    (None, "agent_machine_storage.volume_groups[0].devices"),
    (["sdb"], "agent_machine_storage.volume_groups[0].devices[0]"),
    (["/dev/sdb", "/dev/sdb"], "agent_machine_storage.volume_groups[0].devices[1]"),
    (["/dev/nvme2n1"], "agent_machine_storage.volume_groups[1].devices[0]"),
])
def test_lvms_devices_are_checked(thick_and_thin, devices, field):
    thick_and_thin["volume_groups"][0]["devices"] = devices
    assert error_of(lvms_cluster, thick_and_thin).field == field


def test_lvms_name_and_namespace_are_checked(thick_and_thin):
    assert error_of(lvms_cluster, thick_and_thin, name="Agent_Machine").field == "name"
    assert error_of(lvms_cluster, thick_and_thin, namespace="openshift.storage").field == "namespace"


def test_lvms_cluster_needs_a_device_class(single_thick):
    del single_thick["volume_groups"][0]["topolvm"]
    assert error_of(lvms_cluster, single_thick).field == "agent_machine_storage.volume_groups"


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c["spec"]["storage"]["deviceClasses"][1]["thinPoolConfig"].update(overprovisionRatio="4"),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].thinPoolConfig.overprovisionRatio: '4' is not of type 'integer'"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][1]["thinPoolConfig"].update(sizePercent=5),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].thinPoolConfig.sizePercent: 5 is less than the minimum of 10"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][1]["thinPoolConfig"].pop("name"),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].thinPoolConfig.name: field required"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][0].update(name="vg_agent"),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[0].name: 'vg_agent' does not match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][0].update(fstype="btrfs"),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[0].fstype: 'btrfs' is not one of ['xfs', 'ext4']"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][0].update(thinPool={"name": "x"}),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[0].thinPool: unknown field"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][0]["deviceSelector"].update(paths=["sdb"]),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[0].deviceSelector.paths[0]: 'sdb' does not match '^/dev/'"),
    (lambda c: c.update(apiVersion="lvm.topolvm.io/v1alpha1", kind="LVMCluster", spec={"storage": {"deviceClasses": []}}),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses: [] should be non-empty"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][1].update(default=True),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses: exactly one of the 2 device classes must have default: true, found 2"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][1].pop("deviceSelector"),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].deviceSelector.paths: "
     "field required: every device class needs device paths when there are several"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][1]["deviceSelector"]["paths"].append("/dev/nvme1n1"),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].deviceSelector.paths[2]: "
     "device /dev/nvme1n1 is already used by device class nvme"),
    (lambda c: c["spec"]["storage"]["deviceClasses"][1].update(name="nvme"),
     "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].name: device class 'nvme' is already defined at deviceClasses[0]"),
])
def test_broken_lvms_cluster_fails_naming_the_field(thick_and_thin, mutate, expected):
    cluster = lvms_cluster(thick_and_thin)
    mutate(cluster)
    assert expected in problems_of(cluster)


def test_schema_is_draft_2020_12_and_cites_upstream_types():
    with open(LVMCLUSTER_SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for name in ("LVMClusterSpec", "DeviceClass", "DeviceSelector", "ThinPoolConfig", "lvmcluster_types.go",
                 "lvm.topolvm.io_lvmclusters.yaml"):
        assert name in schema["description"]
    thin_pool = schema["$defs"]["ThinPoolConfig"]
    assert thin_pool["required"] == ["name", "overprovisionRatio"]
    assert thin_pool["properties"]["overprovisionRatio"]["type"] == "integer"
    assert thin_pool["properties"]["sizePercent"]["type"] == "integer"


def test_schema_does_not_accept_an_lvmd_style_document(thick_and_thin):
    cluster = lvms_cluster(thick_and_thin)
    broken = copy.deepcopy(cluster)
    broken["spec"]["storage"]["deviceClasses"][1]["thinPoolConfig"] = {"name": "pool_fast", "overprovision-ratio": 4.0}
    lines = problems_of(broken)
    assert "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].thinPoolConfig.overprovisionRatio: field required" in lines
    assert "LVMCluster/agent-machine: $.spec.storage.deviceClasses[1].thinPoolConfig[\"overprovision-ratio\"]: unknown field" in lines
