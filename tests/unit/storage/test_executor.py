"""Executor: exact argv per action, activation off adds the config, the run
stops at the first failure with a report; the whole read-plan-apply flow
over recorded output (tests/fixtures/lvm/recorded)."""

import pytest

from support.lvm_recordings import COMMANDS, fixture, recorded
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage import lvm_state
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.executor import (
    apply_layout,
    build_argv,
    execute,
    render_plan,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.lvm_state import state_report_argv

CFG = ["--config", "global{activation=0}"]


def action(kind, target="t", **params):
    return {"action": kind, "target": target, "reason": "because", "params": params}


LVCREATE = action("lvcreate", "vg_agent/agent_models", vg="vg_agent", lv="agent_models", type="linear",
                  size=104857600)


@pytest.mark.parametrize("step, active, inactive", [
    (action("wipefs", device="/dev/loop2"), ["wipefs", "--all", "/dev/loop2"], ["wipefs", "--all", "/dev/loop2"]),
    (action("pvcreate", device="/dev/loop0"), ["pvcreate", "/dev/loop0"], ["pvcreate"] + CFG + ["/dev/loop0"]),
    (action("vgcreate", vg="vg_agent", devices=["/dev/loop0", "/dev/loop1"]),
     ["vgcreate", "vg_agent", "/dev/loop0", "/dev/loop1"], ["vgcreate"] + CFG + ["vg_agent", "/dev/loop0", "/dev/loop1"]),
    (action("vgextend", vg="vg_agent", devices=["/dev/loop1"]),
     ["vgextend", "vg_agent", "/dev/loop1"], ["vgextend"] + CFG + ["vg_agent", "/dev/loop1"]),
    (action("vgreduce", vg="vg_agent", device="/dev/loop1"),
     ["vgreduce", "vg_agent", "/dev/loop1"], ["vgreduce"] + CFG + ["vg_agent", "/dev/loop1"]),
    (action("vgremove", vg="vg_agent"), ["vgremove", "--yes", "vg_agent"], ["vgremove"] + CFG + ["--yes", "vg_agent"]),
    (LVCREATE,
     ["lvcreate", "-n", "agent_models", "-L", "104857600b", "--yes", "--wipesignatures", "y", "vg_agent"],
     ["lvcreate"] + CFG + ["-n", "agent_models", "-L", "104857600b", "--activate", "n", "--zero", "n",
                           "--wipesignatures", "n", "vg_agent"]),
    (action("lvcreate", vg="vg_agent", lv="pool_agent", type="thin-pool", size=134217728, metadata_size=4194304),
     ["lvcreate", "--type", "thin-pool", "-n", "pool_agent", "-L", "134217728b", "--poolmetadatasize", "4194304b",
      "--yes", "--wipesignatures", "y", "vg_agent"],
     ["lvcreate"] + CFG + ["--type", "thin-pool", "-n", "pool_agent", "-L", "134217728b", "--poolmetadatasize",
                           "4194304b", "--activate", "n", "--zero", "n", "--wipesignatures", "n", "vg_agent"]),
    (action("lvcreate", vg="vg_agent", lv="agent_cache_warm", type="thin", size=1073741824, pool="pool_agent"),
     ["lvcreate", "--type", "thin", "-n", "agent_cache_warm", "-V", "1073741824b", "--thinpool", "pool_agent",
      "--yes", "--wipesignatures", "y", "vg_agent"],
     ["lvcreate"] + CFG + ["--type", "thin", "-n", "agent_cache_warm", "-V", "1073741824b", "--thinpool",
                           "pool_agent", "--activate", "n", "--zero", "n", "--wipesignatures", "n", "vg_agent"]),
    (action("lvextend", vg="vg_agent", lv="agent_models", size=314572800),
     ["lvextend", "-L", "314572800b", "vg_agent/agent_models"],
     ["lvextend"] + CFG + ["-L", "314572800b", "vg_agent/agent_models"]),
    (action("lvreduce", vg="vg_agent", lv="agent_models", size=83886080),
     ["lvreduce", "--yes", "-L", "83886080b", "vg_agent/agent_models"],
     ["lvreduce"] + CFG + ["--yes", "-L", "83886080b", "vg_agent/agent_models"]),
    (action("lvchange", vg="vg_agent", lv="agent_models"),
     ["lvchange", "--activate", "y", "vg_agent/agent_models"],
     ["lvchange"] + CFG + ["--activate", "y", "vg_agent/agent_models"]),
    (action("mkfs", device="/dev/vg_agent/agent_models", fstype="xfs", force=False),
     ["mkfs.xfs", "/dev/vg_agent/agent_models"], ["mkfs.xfs", "/dev/vg_agent/agent_models"]),
    (action("mkfs", device="/dev/vg_agent/agent_models", fstype="xfs", force=True),
     ["mkfs.xfs", "-f", "/dev/vg_agent/agent_models"], ["mkfs.xfs", "-f", "/dev/vg_agent/agent_models"]),
    (action("mkfs", device="/dev/vg_agent/agent_scratch", fstype="ext4", force=True),
     ["mkfs.ext4", "-F", "/dev/vg_agent/agent_scratch"], ["mkfs.ext4", "-F", "/dev/vg_agent/agent_scratch"]),
    (action("xfs_growfs", mount_point="/var/lib/agent-machine/models"),
     ["xfs_growfs", "/var/lib/agent-machine/models"], ["xfs_growfs", "/var/lib/agent-machine/models"]),
    (action("e2fsck", device="/dev/vg_agent/agent_scratch"),
     ["e2fsck", "-f", "-p", "/dev/vg_agent/agent_scratch"], ["e2fsck", "-f", "-p", "/dev/vg_agent/agent_scratch"]),
    (action("resize2fs", device="/dev/vg_agent/agent_scratch"),
     ["resize2fs", "/dev/vg_agent/agent_scratch"], ["resize2fs", "/dev/vg_agent/agent_scratch"]),
])
def test_argv_is_built_exactly(step, active, inactive):
    assert build_argv(step, activate=True) == active
    assert build_argv(step, activate=False) == inactive


def test_unknown_action_is_an_error():
    with pytest.raises(ValueError):
        build_argv(action("fdisk"))


def test_argv_matches_the_commands_run_on_real_lvm():
    assert " ".join(build_argv(LVCREATE, activate=False)) == COMMANDS["lvcreate-models"]["command"]
    assert " ".join(build_argv(action("vgremove", vg="vg_agent"), activate=False)) == COMMANDS["vgremove"]["command"]


def test_render_plan():
    assert render_plan([LVCREATE], activate=False) == [{
        "action": "lvcreate", "target": "vg_agent/agent_models", "reason": "because",
        "command": COMMANDS["lvcreate-models"]["command"]}]


def _lines(steps, activate):
    return [" ".join(build_argv(step, activate)) for step in steps]


STEPS = [
    action("pvcreate", "/dev/loop0", device="/dev/loop0"),
    action("vgcreate", "vg_agent", vg="vg_agent", devices=["/dev/loop0"]),
    LVCREATE,
    action("lvcreate", "vg_agent/too_big", vg="vg_agent", lv="too_big", type="linear", size=1073741824),
    action("lvcreate", "vg_agent/agent_scratch", vg="vg_agent", lv="agent_scratch", type="linear", size=54525952),
]


def test_all_steps_run_in_order():
    lines = _lines(STEPS, False)
    runner = ReplayRunner(dict((line, {"rc": 0, "stdout": "", "stderr": ""}) for line in lines))
    report = execute(STEPS, runner, activate=False)
    assert report.ok
    assert [item["command"] for item in report.ran] == lines
    assert report.not_run == []


def test_execution_stops_at_the_first_failure_and_says_what_ran():
    lines = _lines(STEPS, False)
    runner = ReplayRunner({
        lines[0]: recorded("pvcreate"),
        lines[1]: recorded("vgcreate"),
        lines[2]: recorded("lvcreate-models"),
        lines[3]: {"rc": 5, "stdout": "", "stderr": COMMANDS["lvcreate-toobig"]["stderr"]},
        lines[4]: {"rc": 0, "stdout": "", "stderr": ""},
    })
    report = execute(STEPS, runner, activate=False)
    assert not report.ok
    assert [item["command"] for item in report.ran] == lines[:3]
    assert report.failed["command"] == lines[3] and report.failed["rc"] == 5
    assert [item["command"] for item in report.not_run] == [lines[4]]
    assert report.summary() == (
        "%s failed (rc 5): Volume group \"vg_agent\" has insufficient free space (25 extents): 256 required. "
        "ran before it: %s. not run: %s" % (lines[3], "; ".join(lines[:3]), lines[4]))


def test_a_missing_binary_is_a_failure():
    step = action("mkfs", "/dev/vg_agent/agent_models", device="/dev/vg_agent/agent_models", fstype="xfs", force=False)
    report = execute([step], ReplayRunner({}), activate=True)
    assert report.failed == {"action": "mkfs", "target": "/dev/vg_agent/agent_models",
                             "command": "mkfs.xfs /dev/vg_agent/agent_models", "rc": None, "stdout": "",
                             "stderr": "mkfs.xfs is not installed on this host"}
    assert report.summary() == ("mkfs.xfs /dev/vg_agent/agent_models failed (rc None): mkfs.xfs is not installed on "
                                "this host. ran before it: nothing. not run: nothing")


def test_e2fsck_corrected_errors_count_as_success():
    steps = [action("e2fsck", device="/dev/vg_agent/agent_scratch"), action("resize2fs", device="/dev/vg_agent/agent_scratch")]
    runner = ReplayRunner({"e2fsck -f -p /dev/vg_agent/agent_scratch": {"rc": 1},
                           "resize2fs /dev/vg_agent/agent_scratch": {"rc": 0}})
    assert execute(steps, runner).ok


# -- the whole flow ----------------------------------------------------------
class StagedRunner:
    """Answers from recorded output; the LVM reports switch from ``before``
    to ``after`` once a changing command ran. Keeps every argv it was asked."""

    READS = ("pvs", "vgs", "lvs", "lvm", "blkid", "blockdev")

    def __init__(self, before, after, commands=None):
        self.before, self.after, self.commands = before, after, dict(commands or {})
        self.calls = []
        self.changed = False

    def run(self, argv, timeout=None):
        line = " ".join(argv)
        self.calls.append(line)
        if argv[0] not in self.READS:
            self.changed = True
            return ReplayRunner(self.commands).run(argv)
        records = {"lvm version": recorded("lvm-version"),
                   "blkid -p -o export /dev/loop0": recorded("blkid-empty"),
                   "blkid -p -o export /dev/loop2": recorded("blkid-swap"),
                   "blockdev --getsize64 /dev/loop0": recorded("blockdev-size"),
                   "blockdev --getsize64 /dev/loop2": recorded("blockdev-size")}
        for kind in ("pv", "vg", "lv"):
            name = "%ss-%s.json" % (kind, self.after if self.changed else self.before)
            records[" ".join(state_report_argv(kind, False))] = {"rc": 0, "stdout": fixture(name)}
        return ReplayRunner(records).run(argv)

    def writes(self):
        return [line for line in self.calls if line.split()[0] not in self.READS]


class LoopHost(lvm_state.Host):
    def exists(self, path):
        return path in ("/dev/loop0", "/dev/loop1", "/dev/loop2")

    def is_block(self, path):
        return self.exists(path)

    def realpath(self, path):
        return path

    def read_text(self, path):
        return "237 loop-control\n" if path == "/proc/misc" else None


PARAMS = {
    "volume_groups": [{"name": "vg_agent", "devices": ["/dev/loop0"], "remove_devices": [], "thin_pool": None,
                       "topolvm": None, "state": "present"}],
    "volumes": [{"volume_class": "agent-models", "volume_group": "vg_agent", "lv_name": None, "size": "100M",
                 "thin": False, "filesystem": "xfs", "mount_point": "/var/lib/agent-machine/models"},
                {"volume_class": "agent-scratch", "volume_group": "vg_agent", "lv_name": None, "size": "50M",
                 "thin": False, "filesystem": None}],
    "activate": False, "allow_shrink": False, "force_signatures": False, "allow_vg_removal": False,
}
APPLY_COMMANDS = {COMMANDS[name]["command"]: recorded(name)
                  for name in ("pvcreate", "vgcreate", "lvcreate-models")}
APPLY_COMMANDS["lvcreate --config global{activation=0} -n agent_scratch -L 54525952b --activate n --zero n "
               "--wipesignatures n vg_agent"] = recorded("lvcreate-scratch")


def test_check_mode_returns_the_plan_and_runs_nothing():
    runner = StagedRunner("empty", "two-lvs")
    failed, result = apply_layout(PARAMS, runner, check_mode=True, want_diff=True, host=LoopHost())
    assert not failed and result["changed"]
    assert runner.writes() == []
    assert [step["action"] for step in result["plan"]] == ["pvcreate", "vgcreate", "lvcreate", "lvcreate"]
    assert result["diff"]["before"] == {"volume_groups": {}, "logical_volumes": {}}
    assert result["diff"]["after"]["volume_groups"] == {
        "vg_agent": {"size": 264241152, "free": 104857600, "pvs": ["/dev/loop0"]}}
    assert result["diff"]["after"]["logical_volumes"] == {
        "vg_agent/agent_models": {"size": 104857600, "attr": "(planned)"},
        "vg_agent/agent_scratch": {"size": 54525952, "attr": "(planned)"}}


def test_apply_runs_the_plan_then_reads_the_state_again():
    runner = StagedRunner("empty", "two-lvs", APPLY_COMMANDS)
    failed, result = apply_layout(PARAMS, runner, want_diff=True, host=LoopHost())
    assert not failed, result.get("msg")
    assert runner.writes() == [step["command"] for step in result["plan"]]
    assert [item["rc"] for item in result["ran"]] == [0, 0, 0, 0]
    assert result["diff"]["after"] == {
        "volume_groups": {"vg_agent": {"size": 264241152, "free": 104857600, "pvs": ["/dev/loop0"]}},
        "logical_volumes": {"vg_agent/agent_models": {"size": 104857600, "attr": "-wi-XX----"},
                            "vg_agent/agent_scratch": {"size": 54525952, "attr": "-wi-XX----"}}}
    assert result["warnings"] == []
    assert result["skipped_steps"][0]["action"] == "mkfs"


def test_second_run_is_not_changed():
    runner = StagedRunner("two-lvs", "two-lvs")
    failed, result = apply_layout(PARAMS, runner, host=LoopHost())
    assert (failed, result["changed"], result["plan"], runner.writes()) == (False, False, [], [])


def test_refusal_fails_before_anything_runs():
    params = dict(PARAMS, volume_groups=[dict(PARAMS["volume_groups"][0], devices=["/dev/loop2"])])
    runner = StagedRunner("empty", "empty")
    failed, result = apply_layout(params, runner, host=LoopHost())
    assert failed and runner.writes() == [] and result["plan"] == []
    assert result["refusals"] == ["volume_groups[0].devices: /dev/loop2 carries a swap signature; creating a PV "
                                  "would destroy it (force_signatures: true wipes it)"]
    assert result["msg"] == "1 refusal(s); nothing was changed: (1) " + result["refusals"][0]


def test_failure_mid_plan_reports_what_ran_and_what_did_not():
    commands = dict(APPLY_COMMANDS)
    failing = COMMANDS["lvcreate-models"]["command"]
    commands[failing] = {"rc": 5, "stdout": "", "stderr": "  Volume group \"vg_agent\" has insufficient free space\n"}
    runner = StagedRunner("empty", "two-lvs", commands)
    failed, result = apply_layout(PARAMS, runner, host=LoopHost())
    assert failed
    assert [item["command"] for item in result["ran"]] == [COMMANDS["pvcreate"]["command"], COMMANDS["vgcreate"]["command"]]
    assert result["failed_command"]["command"] == failing and result["failed_command"]["rc"] == 5
    assert len(result["not_run"]) == 1 and result["not_run"][0]["target"] == "vg_agent/agent_scratch"
    assert result["msg"].startswith("applying the plan stopped: %s failed (rc 5): Volume group \"vg_agent\" has "
                                    "insufficient free space. ran before it: " % failing)


def test_unreadable_state_fails_clearly():
    failed, result = apply_layout(PARAMS, ReplayRunner({}), host=LoopHost())
    assert failed and result["msg"] == "cannot read the LVM state: pvs is not installed: the lvm2 package is needed"
