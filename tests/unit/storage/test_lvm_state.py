"""Reading LVM state: recorded pvs/vgs/lvs JSON reports and blkid output
(tests/fixtures/lvm/recorded, see its README.txt)."""

import pytest

from support.lvm_recordings import COMMANDS, PROC_MISC_DM, FakeHost, fixture, recorded as command
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.layout import normalize_layout
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.lvm_state import (
    StateError,
    _lv_rows,
    blkid_argv,
    is_active,
    parse_blkid_export,
    read_state,
    signature_of,
    state_report_argv,
    summarize,
)

ACTIVATION_WARNING = "  WARNING: Activation disabled. No device-mapper interaction will be attempted.\n"


def recordings(pvs="pvs-empty", vgs="vgs-empty", lvs="lvs-empty", activate=False, extra=None):
    stderr = "" if activate else ACTIVATION_WARNING
    records = {"lvm version": command("lvm-version")}
    for kind, name in (("pv", pvs), ("vg", vgs), ("lv", lvs)):
        records[" ".join(state_report_argv(kind, activate))] = {"rc": 0, "stdout": fixture(name + ".json"),
                                                                "stderr": stderr}
    records.update(extra or {})
    return records


def layout_of(volume_groups, volumes=()):
    layout, refusals = normalize_layout(volume_groups, list(volumes))
    assert refusals == []
    return layout


def test_report_argv_asks_for_the_planner_fields():
    assert state_report_argv("pv", activate=False) == [
        "pvs", "--config", "global{activation=0}", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
        "pv_name,vg_name,pv_size,pv_free,pv_used,pv_uuid,pv_pe_count,pv_pe_alloc_count,dev_size,pe_start,pv_attr"]
    assert state_report_argv("vg") == [
        "vgs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
        "vg_name,vg_size,vg_free,vg_uuid,pv_count,lv_count,vg_extent_size,vg_extent_count,vg_free_count,vg_attr"]
    assert state_report_argv("lv") == [
        "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
        "lv_name,vg_name,lv_size,lv_attr,lv_uuid,pool_lv,data_percent,lv_layout,lv_path,lv_dm_path,lv_active,"
        "lv_metadata_size"]


def test_recorded_commands_match_the_argv_this_code_builds():
    assert COMMANDS["blkid-empty"]["command"] == " ".join(blkid_argv("/dev/loop0"))
    assert COMMANDS["blockdev-size"]["command"] == "blockdev --getsize64 /dev/loop0"
    assert COMMANDS["blockdev-size"]["stdout"].strip() == "268435456"


def test_empty_node_with_a_blank_device():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/loop0"]}])
    runner = ReplayRunner(recordings(extra={
        "blockdev --getsize64 /dev/loop0": command("blockdev-size"),
        "blkid -p -o export /dev/loop0": command("blkid-empty"),
    }))
    state = read_state(runner, layout, activate=False, host=FakeHost(block=["/dev/loop0"]))
    assert state["pvs"] == [] and state["vgs"] == [] and state["lvs"] == []
    assert state["lvm_version"] == "2.03.31"
    assert state["device_mapper"] is False
    assert state["devices"] == {"/dev/loop0": {
        "path": "/dev/loop0", "exists": True, "block": True, "realpath": "/dev/loop0", "size": 268435456,
        "signature": {}, "probe_error": None}}


def test_swap_signature_is_reported():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/loop2"]}])
    runner = ReplayRunner(recordings(extra={
        "blockdev --getsize64 /dev/loop2": command("blockdev-size"),
        "blkid -p -o export /dev/loop2": command("blkid-swap"),
    }))
    state = read_state(runner, layout, activate=False, host=FakeHost(block=["/dev/loop2"]))
    assert state["devices"]["/dev/loop2"]["signature"] == {"TYPE": "swap", "USAGE": "other"}


@pytest.mark.parametrize("name, signature", [
    ("blkid-xfs", {"TYPE": "xfs", "USAGE": "filesystem"}),
    ("blkid-ext4", {"TYPE": "ext4", "USAGE": "filesystem"}),
    ("blkid-gpt", {"PTTYPE": "gpt"}),
    ("blkid-pv", {"TYPE": "LVM2_member", "USAGE": "raid"}),
])
def test_recorded_blkid_signatures(name, signature):
    assert signature_of(parse_blkid_export(COMMANDS[name]["stdout"])) == signature


def test_blkid_export_escapes_are_undone():
    assert parse_blkid_export(COMMANDS["blkid-pv"]["stdout"])["VERSION"] == "LVM2 001"


def test_blkid_says_nothing_for_a_missing_device_so_existence_is_checked_separately():
    assert COMMANDS["blkid-missing"]["rc"] == 2 and COMMANDS["blkid-missing"]["stdout"] == ""
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/gone"]}])
    state = read_state(ReplayRunner(recordings()), layout, activate=False, host=FakeHost())
    assert state["devices"]["/dev/gone"] == {"path": "/dev/gone", "exists": False, "block": False, "realpath": None,
                                             "size": None, "signature": None, "probe_error": None}


def test_blkid_failure_and_absence_are_probe_errors():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}])
    runner = ReplayRunner(recordings(extra={
        "blockdev --getsize64 /dev/loop0": command("blockdev-size"),
        "blkid -p -o export /dev/loop0": {"rc": 8, "stdout": "", "stderr": "ambivalent result\n"},
    }))
    state = read_state(runner, layout, activate=False, host=FakeHost(block=["/dev/loop0", "/dev/loop1"]))
    assert state["devices"]["/dev/loop0"]["probe_error"] == "blkid -p /dev/loop0 failed (rc 8): ambivalent result"
    assert state["devices"]["/dev/loop0"]["signature"] is None
    assert state["devices"]["/dev/loop1"]["probe_error"] == "blkid is not installed; signatures of /dev/loop1 cannot be checked"


def test_existing_pv_behind_a_symlink_is_not_probed():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/agent-test/disk0"]}])
    runner = ReplayRunner(recordings("pvs-vg-new", "vgs-vg-new", "lvs-vg-new"))
    host = FakeHost(block=["/dev/loop0"], links={"/dev/agent-test/disk0": "/dev/loop0"})
    state = read_state(runner, layout, activate=False, host=host)
    assert state["devices"]["/dev/agent-test/disk0"]["realpath"] == "/dev/loop0"
    assert state["devices"]["/dev/agent-test/disk0"]["signature"] is None
    assert state["pvs"][0]["realpath"] == "/dev/loop0"
    vg = dict(state["vgs"][0])
    assert vg.pop("vg_uuid")
    assert vg == {"vg_name": "vg_agent", "vg_size": 264241152, "vg_free": 264241152, "pv_count": 1, "lv_count": 0,
                  "vg_extent_size": 4194304, "vg_extent_count": 63, "vg_free_count": 63, "vg_attr": "wz--n-"}


def test_recorded_pvs_parse_to_integers():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}])
    runner = ReplayRunner(recordings("pvs-extended", "vgs-extended", "lvs-extended"))
    state = read_state(runner, layout, activate=False, host=FakeHost(block=["/dev/loop0", "/dev/loop1"]))
    loop1 = [pv for pv in state["pvs"] if pv["pv_name"] == "/dev/loop1"][0]
    assert loop1["pv_pe_count"] == 63 and loop1["pv_pe_alloc_count"] == 25
    assert loop1["pv_used"] == 104857600 and loop1["pe_start"] == 1048576 and loop1["dev_size"] == 268435456
    assert state["vgs"][0]["vg_free_count"] == 38
    # the LV spans both PVs (several segments) and is still one row
    assert [(lv["lv_name"], lv["lv_size"], lv["hidden"]) for lv in state["lvs"]] == [
        ("agent_models", 314572800, False), ("agent_scratch", 54525952, False)]
    assert state["lvs"][0]["lv_attr"] == "-wi-XX----" and not is_active(state["lvs"][0])


def test_segment_rows_are_folded_into_one_lv():
    row = {"lv_name": "agent_models", "vg_name": "vg_agent", "lv_uuid": "GUISEs", "lv_size": 314572800}
    assert len(_lv_rows([row, dict(row), dict(row)])) == 1


def test_thin_pool_parts_are_hidden():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/nvme1n1"],
                         "thin_pool": {"name": "pool_agent", "size": "50G"}}])
    runner = ReplayRunner(recordings("doc-pvs-thin", "doc-vgs-thin", "doc-lvs-thin", activate=True))
    state = read_state(runner, layout, activate=True, host=FakeHost(block=["/dev/nvme1n1"]))
    assert [(lv["lv_name"], lv["hidden"]) for lv in state["lvs"]] == [
        ("agent_cache_warm", False), ("agent_models", False), ("lvol0_pmspare", True), ("pool_agent", False),
        ("pool_agent_tdata", True), ("pool_agent_tmeta", True)]
    pool = [lv for lv in state["lvs"] if lv["lv_name"] == "pool_agent"][0]
    assert pool["lv_metadata_size"] == 54525952 and pool["data_percent"] == 12.5


def test_active_lvs_of_the_layout_are_probed_and_mounts_found():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/loop0"]}], [
        {"volume_class": "agent-models", "volume_group": "vg_agent", "size": "100M", "filesystem": "xfs"},
        {"volume_class": "agent-scratch", "volume_group": "vg_agent", "size": "52M", "filesystem": "ext4"},
    ])
    mountinfo = ("22 1 0:21 / / rw,relatime shared:1 - overlay overlay rw\n"
                 "40 22 253:0 / /var/lib/agent-machine/models rw,nodev,nosuid - xfs /dev/mapper/vg_agent-agent_models rw\n")
    runner = ReplayRunner(recordings("pvs-two-lvs", "vgs-two-lvs", "doc-lvs-two-lvs-active", activate=True, extra={
        "blkid -p -o export /dev/vg_agent/agent_models": command("blkid-xfs", "/dev/vg_agent/agent_models"),
        "blkid -p -o export /dev/vg_agent/agent_scratch": command("blkid-ext4", "/dev/vg_agent/agent_scratch"),
    }))
    host = FakeHost(block=["/dev/loop0"], files={"/proc/misc": PROC_MISC_DM, "/proc/self/mountinfo": mountinfo})
    state = read_state(runner, layout, activate=True, host=host)
    assert state["device_mapper"] is True
    assert state["lv_signatures"] == {
        "vg_agent/agent_models": {"signature": {"TYPE": "xfs", "USAGE": "filesystem"}, "probe_error": None},
        "vg_agent/agent_scratch": {"signature": {"TYPE": "ext4", "USAGE": "filesystem"}, "probe_error": None},
    }
    assert state["mounts"] == {"vg_agent/agent_models": "/var/lib/agent-machine/models"}


def test_inactive_lvs_are_not_probed():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/loop0"]}], [
        {"volume_class": "agent-models", "volume_group": "vg_agent", "size": "100M", "filesystem": "xfs"}])
    runner = ReplayRunner(recordings("pvs-two-lvs", "vgs-two-lvs", "lvs-two-lvs"))
    state = read_state(runner, layout, activate=False, host=FakeHost(block=["/dev/loop0"]))
    assert state["lv_signatures"] == {}


def test_missing_lvm_and_failing_reports_raise():
    layout = layout_of([])
    with pytest.raises(StateError) as error:
        read_state(ReplayRunner({}), layout, host=FakeHost())
    assert str(error.value) == "pvs is not installed: the lvm2 package is needed"
    records = recordings(activate=True)
    records[" ".join(state_report_argv("vg", True))] = {"rc": 5, "stdout": "", "stderr": "  Locking failed\n"}
    with pytest.raises(StateError) as error:
        read_state(ReplayRunner(records), layout, host=FakeHost())
    assert "vgs --reportformat json" in str(error.value) and "failed (rc 5): Locking failed" in str(error.value)
    records[" ".join(state_report_argv("vg", True))] = {"rc": 0, "stdout": "not json", "stderr": ""}
    with pytest.raises(StateError) as error:
        read_state(ReplayRunner(records), layout, host=FakeHost())
    assert "no JSON object in the LVM report" in str(error.value)


def test_summarize_for_diffs():
    layout = layout_of([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}])
    runner = ReplayRunner(recordings("pvs-two-vgs", "vgs-two-vgs", "lvs-two-vgs"))
    state = read_state(runner, layout, activate=False, host=FakeHost(block=["/dev/loop0", "/dev/loop1"]))
    assert summarize(state, ["vg_agent"]) == {
        "volume_groups": {"vg_agent": {"size": 528482304, "free": 264241152, "pvs": ["/dev/loop0", "/dev/loop1"]}},
        "logical_volumes": {
            "vg_agent/agent_models": {"size": 209715200, "attr": "-wi-XX----"},
            "vg_agent/agent_scratch": {"size": 54525952, "attr": "-wi-XX----"},
        },
    }
