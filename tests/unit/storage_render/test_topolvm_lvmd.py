"""lvmd.yaml rendering: documented keys and types, thick and thin device classes, exactly one default."""

import pytest
import yaml

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage.topolvm import (
    TopolvmLayoutError, device_classes, lvmd_config, lvmd_yaml_text,
)

# The keys TopoLVM documents for lvmd.yaml, written out here rather than
# imported so the test checks the renderer against the documentation:
# topolvm docs/lvmd.md (socket-name, device-classes; per class name,
# volume-group, spare-gb, default, stripe, stripe-size, lvcreate-options)
# and the DeviceClass/ThinPoolConfig structs of its lvmd package (type,
# thin-pool with name and overprovision-ratio).
DOCUMENTED_TOP_LEVEL = {"socket-name", "device-classes", "lvcreate-option-classes"}
DOCUMENTED_DEVICE_CLASS = {
    "name", "volume-group", "spare-gb", "default", "stripe", "stripe-size", "lvcreate-options", "type", "thin-pool",
}
DOCUMENTED_THIN_POOL = {"name", "overprovision-ratio"}

EXPECTED_TEXT = """\
# Managed by sourceos.agent_machine: local edits are overwritten.
socket-name: /run/topolvm/lvmd.sock
device-classes:
- name: nvme
  volume-group: vg_agent
  default: true
  spare-gb: 10
- name: fast
  volume-group: vg_fast
  default: false
  spare-gb: 5
  type: thin
  thin-pool:
    name: pool_fast
    overprovision-ratio: 4.0
"""


def error_of(call, *args, **kwargs):
    with pytest.raises(TopolvmLayoutError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_thick_and_thin_text_is_exactly_the_documented_form(thick_and_thin):
    assert lvmd_yaml_text(lvmd_config(thick_and_thin)) == EXPECTED_TEXT


def test_round_trip_gives_only_documented_keys_with_their_types(thick_and_thin):
    config = lvmd_config(thick_and_thin)
    loaded = yaml.safe_load(lvmd_yaml_text(config))
    assert loaded == config
    assert set(loaded) <= DOCUMENTED_TOP_LEVEL
    assert isinstance(loaded["socket-name"], str)
    assert len(loaded["device-classes"]) == 2
    for item in loaded["device-classes"]:
        assert set(item) <= DOCUMENTED_DEVICE_CLASS
        assert {"name", "volume-group", "default", "spare-gb"} <= set(item)
        assert isinstance(item["name"], str)
        assert isinstance(item["volume-group"], str)
        assert isinstance(item["default"], bool)
        assert type(item["spare-gb"]) is int  # pylint: disable=unidiomatic-typecheck
        if "thin-pool" in item:
            assert set(item["thin-pool"]) <= DOCUMENTED_THIN_POOL
            assert isinstance(item["thin-pool"]["name"], str)
            assert type(item["thin-pool"]["overprovision-ratio"]) is float  # pylint: disable=unidiomatic-typecheck


def test_thick_class_has_no_type_and_thin_class_is_typed_thin(thick_and_thin):
    thick, thin = lvmd_config(thick_and_thin)["device-classes"]
    assert "type" not in thick and "thin-pool" not in thick
    assert thin["type"] == "thin"
    assert thin["thin-pool"] == {"name": "pool_fast", "overprovision-ratio": 4.0}


def test_text_writes_documented_order_whatever_the_input_order(thick_and_thin):
    config = lvmd_config(thick_and_thin)
    shuffled = {
        "device-classes": [dict(reversed(list(item.items()))) for item in config["device-classes"]],
        "socket-name": config["socket-name"],
    }
    shuffled["device-classes"][1]["thin-pool"] = {"overprovision-ratio": 4.0, "name": "pool_fast"}
    assert lvmd_yaml_text(shuffled) == EXPECTED_TEXT
    assert lvmd_yaml_text(config, header="") == EXPECTED_TEXT.split("\n", 1)[1]


def test_socket_name_is_configurable_and_must_be_absolute(single_thick):
    assert lvmd_config(single_thick, socket_name="/run/lvmd/lvmd.socket")["socket-name"] == "/run/lvmd/lvmd.socket"
    assert error_of(lvmd_config, single_thick, socket_name="lvmd.sock").field == "socket_name"


def test_single_class_is_the_default_even_when_marked_false(single_thick):
    assert lvmd_config(single_thick)["device-classes"][0]["default"] is True
    single_thick["volume_groups"][0]["topolvm"]["default"] = False
    assert lvmd_config(single_thick)["device-classes"][0]["default"] is True


def test_exactly_one_of_several_is_the_default(thick_and_thin):
    defaults = [item["default"] for item in lvmd_config(thick_and_thin)["device-classes"]]
    assert defaults == [True, False]
    thick_and_thin["volume_groups"][0]["topolvm"]["default"] = False
    thick_and_thin["volume_groups"][1]["topolvm"]["default"] = "yes"
    defaults = [item["default"] for item in lvmd_config(thick_and_thin)["device-classes"]]
    assert defaults == [False, True]


def test_no_default_among_several_names_the_field(thick_and_thin):
    del thick_and_thin["volume_groups"][0]["topolvm"]["default"]
    error = error_of(lvmd_config, thick_and_thin)
    assert error.field == "agent_machine_storage.volume_groups[*].topolvm.default"
    assert "none of the 2" in str(error) and "nvme, fast" in str(error)


def test_two_defaults_name_the_second_field(thick_and_thin):
    thick_and_thin["volume_groups"][1]["topolvm"]["default"] = True
    error = error_of(lvmd_config, thick_and_thin)
    assert error.field == "agent_machine_storage.volume_groups[1].topolvm.default"
    assert "agent_machine_storage.volume_groups[0].topolvm.default" in str(error)


def test_default_must_be_a_boolean(thick_and_thin):
    thick_and_thin["volume_groups"][1]["topolvm"]["default"] = "maybe"
    assert error_of(lvmd_config, thick_and_thin).field == "agent_machine_storage.volume_groups[1].topolvm.default"


@pytest.mark.parametrize("name", ["NVMe", "nvme_fast", "-nvme", "nvme-", "a" * 64, "nvme.fast", ""])
def test_device_class_must_be_a_dns_label(thick_and_thin, name):
    thick_and_thin["volume_groups"][1]["topolvm"]["device_class"] = name
    if name == "":
        # empty means "not set": derived from the volume group name vg_fast -> vg-fast
        assert lvmd_config(thick_and_thin)["device-classes"][1]["name"] == "vg-fast"
        return
    error = error_of(lvmd_config, thick_and_thin)
    assert error.field == "agent_machine_storage.volume_groups[1].topolvm.device_class"
    assert "DNS label" in str(error)


def test_device_class_defaults_to_the_volume_group_name(single_thick):
    single_thick["volume_groups"][0]["topolvm"] = {}
    assert lvmd_config(single_thick)["device-classes"][0]["name"] == "vg-agent"
    single_thick["volume_groups"][0]["name"] = "VG_Agent"
    error = error_of(lvmd_config, single_thick)
    assert error.field == "agent_machine_storage.volume_groups[0].topolvm.device_class"
    assert "'VG_Agent'" in str(error)


def test_device_class_names_and_volume_groups_are_unique(thick_and_thin):
    thick_and_thin["volume_groups"][1]["topolvm"]["device_class"] = "nvme"
    error = error_of(lvmd_config, thick_and_thin)
    assert error.field == "agent_machine_storage.volume_groups[1].topolvm.device_class"
    thick_and_thin["volume_groups"][1]["topolvm"]["device_class"] = "fast"
    thick_and_thin["volume_groups"][1]["name"] = "vg_agent"
    assert error_of(lvmd_config, thick_and_thin).field == "agent_machine_storage.volume_groups[1].name"


def test_spare_gb_defaults_to_ten_and_is_a_whole_number(single_thick):
    assert lvmd_config(single_thick)["device-classes"][0]["spare-gb"] == 10
    single_thick["volume_groups"][0]["topolvm"]["spare_gb"] = "20"
    assert lvmd_config(single_thick)["device-classes"][0]["spare-gb"] == 20
    single_thick["volume_groups"][0]["topolvm"]["spare_gb"] = 0
    assert lvmd_config(single_thick)["device-classes"][0]["spare-gb"] == 0
    for bad in (-1, 1.5, True, "ten"):
        single_thick["volume_groups"][0]["topolvm"]["spare_gb"] = bad
        assert error_of(lvmd_config, single_thick).field == "agent_machine_storage.volume_groups[0].topolvm.spare_gb"


def test_overprovision_ratio_is_a_float_of_at_least_one(thick_and_thin):
    pool = thick_and_thin["volume_groups"][1]["thin_pool"]
    pool["overprovision_ratio"] = 10
    ratio = lvmd_config(thick_and_thin)["device-classes"][1]["thin-pool"]["overprovision-ratio"]
    assert ratio == 10.0 and isinstance(ratio, float)
    del pool["overprovision_ratio"]
    assert lvmd_config(thick_and_thin)["device-classes"][1]["thin-pool"]["overprovision-ratio"] == 1.0
    for bad in (0.5, "lots", True, float("nan")):
        pool["overprovision_ratio"] = bad
        error = error_of(lvmd_config, thick_and_thin)
        assert error.field == "agent_machine_storage.volume_groups[1].thin_pool.overprovision_ratio"


@pytest.mark.parametrize("pool", [None, {}])
def test_empty_thin_pool_means_thick(thick_and_thin, pool):
    thick_and_thin["volume_groups"][1]["thin_pool"] = pool
    fast = lvmd_config(thick_and_thin)["device-classes"][1]
    assert fast == {"name": "fast", "volume-group": "vg_fast", "default": False, "spare-gb": 5}


def test_thin_pool_needs_a_name(thick_and_thin):
    del thick_and_thin["volume_groups"][1]["thin_pool"]["name"]
    error = error_of(lvmd_config, thick_and_thin)
    assert error.field == "agent_machine_storage.volume_groups[1].thin_pool.name"
    assert str(error) == "agent_machine_storage.volume_groups[1].thin_pool.name: is required"


def test_volume_groups_without_topolvm_are_not_device_classes(thick_and_thin):
    thick_and_thin["volume_groups"].append({"name": "vg_other", "devices": ["/dev/sdz"]})
    thick_and_thin["volume_groups"].append({"name": "vg_off", "devices": ["/dev/sdy"], "topolvm": False})
    assert [item["name"] for item in lvmd_config(thick_and_thin)["device-classes"]] == ["nvme", "fast"]


def test_lvmd_needs_at_least_one_device_class(single_thick):
    del single_thick["volume_groups"][0]["topolvm"]
    error = error_of(lvmd_config, single_thick)
    assert error.field == "agent_machine_storage.volume_groups"
    assert "no volume group has a topolvm section" in str(error)


def test_unknown_topolvm_key_is_named(single_thick):
    single_thick["volume_groups"][0]["topolvm"]["spare_GB"] = 5
    error = error_of(lvmd_config, single_thick)
    assert error.field == "agent_machine_storage.volume_groups[0].topolvm.spare_GB"
    assert "unknown key" in str(error)


@pytest.mark.parametrize("layout, field", [
    (None, "agent_machine_storage"),
    ([], "agent_machine_storage"),
    ({"volume_groups": "vg_agent"}, "agent_machine_storage.volume_groups"),
    ({"volume_groups": ["vg_agent"]}, "agent_machine_storage.volume_groups[0]"),
    ({"volume_groups": [{"topolvm": {}}]}, "agent_machine_storage.volume_groups[0].name"),
    ({"volume_groups": [{"name": "vg", "topolvm": "nvme"}]}, "agent_machine_storage.volume_groups[0].topolvm"),
    ({"volume_groups": [{"name": "vg", "topolvm": {}, "thin_pool": "pool"}]},
     "agent_machine_storage.volume_groups[0].thin_pool"),
])
def test_malformed_layouts_name_the_field(layout, field):
    assert error_of(lvmd_config, layout).field == field


def test_device_classes_reports_volume_group_and_pool(thick_and_thin):
    thick, thin = device_classes(thick_and_thin)
    assert (thick["name"], thick["volume_group"], thick["thin_pool"]) == ("nvme", "vg_agent", None)
    assert thin["thin_pool"] == {"name": "pool_fast", "size": "90%VG", "overprovision_ratio": 4.0}
    assert thin["field"] == "agent_machine_storage.volume_groups[1]"
