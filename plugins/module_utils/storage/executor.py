# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turn planned actions into commands and run them in order.

``build_argv`` is pure: the same action always gives the same argv, so the
plan shown in check mode is exactly what a real run executes. With
``activate`` false every LVM command carries
``--config global{activation=0}`` and every lvcreate ``--activate n
--zero n --wipesignatures n`` (metadata only; the kernel is never touched).

``execute`` stops at the first command that fails and reports what ran,
what failed (rc, stderr) and what did not run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.layout import normalize_layout
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.lvm_state import (
    StateError,
    lvm_command,
    read_state,
    summarize,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.planner import Options, plan_layout

# Exit codes that mean success, beyond 0 (e2fsck: 1 = errors corrected).
OK_RCS = {"e2fsck": (0, 1)}


def _bytes(size):
    return "%db" % int(size)


def _lvcreate(params, activate):
    argv = lvm_command("lvcreate", activate)
    kind = params.get("type", "linear")
    if kind == "thin-pool":
        argv += ["--type", "thin-pool", "-n", params["lv"], "-L", _bytes(params["size"]),
                 "--poolmetadatasize", _bytes(params["metadata_size"])]
    elif kind == "thin":
        argv += ["--type", "thin", "-n", params["lv"], "-V", _bytes(params["size"]), "--thinpool", params["pool"]]
    else:
        argv += ["-n", params["lv"], "-L", _bytes(params["size"])]
    if activate:
        argv += ["--yes", "--wipesignatures", "y"]
    else:
        argv += ["--activate", "n", "--zero", "n", "--wipesignatures", "n"]
    return argv + [params["vg"]]


def build_argv(action, activate=True):
    """The argv that carries out one planned action."""
    kind = action["action"]
    params = action.get("params", {})
    if kind == "wipefs":
        return ["wipefs", "--all", params["device"]]
    if kind == "pvcreate":
        return lvm_command("pvcreate", activate) + [params["device"]]
    if kind in ("vgcreate", "vgextend"):
        return lvm_command(kind, activate) + [params["vg"]] + list(params["devices"])
    if kind == "vgreduce":
        return lvm_command("vgreduce", activate) + [params["vg"], params["device"]]
    if kind == "vgremove":
        return lvm_command("vgremove", activate) + ["--yes", params["vg"]]
    if kind == "lvcreate":
        return _lvcreate(params, activate)
    if kind == "lvextend":
        return lvm_command("lvextend", activate) + ["-L", _bytes(params["size"]), "%s/%s" % (params["vg"], params["lv"])]
    if kind == "lvreduce":
        return lvm_command("lvreduce", activate) + ["--yes", "-L", _bytes(params["size"]),
                                                    "%s/%s" % (params["vg"], params["lv"])]
    if kind == "lvchange":
        return lvm_command("lvchange", activate) + ["--activate", "y", "%s/%s" % (params["vg"], params["lv"])]
    if kind == "mkfs":
        force = {"xfs": "-f", "ext4": "-F"}[params["fstype"]]
        return ["mkfs." + params["fstype"]] + ([force] if params.get("force") else []) + [params["device"]]
    if kind == "xfs_growfs":
        return ["xfs_growfs", params["mount_point"]]
    if kind == "e2fsck":
        return ["e2fsck", "-f", "-p", params["device"]]
    if kind == "resize2fs":
        return ["resize2fs", params["device"]]
    raise ValueError("unknown action %r" % (kind,))


def command_line(argv):
    """The argv joined by single spaces (the form ReplayRunner records)."""
    return " ".join(argv)


def render_plan(actions, activate=True):
    """The plan as the module returns it: action, target, command, reason."""
    return [{"action": action["action"], "target": action["target"],
             "command": command_line(build_argv(action, activate)), "reason": action["reason"]}
            for action in actions]


def _meaningful(text):
    """Output lines without LVM's notice that activation is disabled (which
    every command prints when activate is false)."""
    lines = [line.strip() for line in (text or "").splitlines()
             if line.strip() and "Activation disabled" not in line]
    return " ".join(lines)[:1000].rstrip(".")


class ExecutionReport:
    def __init__(self):
        self.ran = []
        self.failed = None
        self.not_run = []

    @property
    def ok(self):
        return self.failed is None

    def summary(self):
        """One message: what ran, what failed and what did not run."""
        parts = []
        if self.failed is not None:
            output = _meaningful(self.failed["stderr"]) or _meaningful(self.failed["stdout"]) or "no output"
            parts.append("%s failed (rc %s): %s" % (self.failed["command"], self.failed["rc"], output))
        parts.append("ran before it: %s" % ("; ".join(item["command"] for item in self.ran) or "nothing"))
        parts.append("not run: %s" % ("; ".join(item["command"] for item in self.not_run) or "nothing"))
        return ". ".join(parts)


def execute(actions, runner, activate=True, timeout=None):
    """Run the actions in order; stop at the first failure."""
    report = ExecutionReport()
    for index, action in enumerate(actions):
        argv = build_argv(action, activate)
        line = command_line(argv)
        result = runner.run(argv, timeout=timeout) if timeout else runner.run(argv)
        entry = {"action": action["action"], "target": action["target"], "command": line}
        if result is None:
            entry.update(rc=None, stdout="", stderr="%s is not installed on this host" % argv[0])
        else:
            entry.update(rc=result.rc, stdout=result.stdout or "", stderr=result.stderr or "")
        if result is None or result.rc not in OK_RCS.get(action["action"], (0,)):
            report.failed = entry
            report.not_run = [{"action": later["action"], "target": later["target"],
                               "command": command_line(build_argv(later, activate))}
                              for later in actions[index + 1:]]
            return report
        report.ran.append(entry)
    return report


# -- the whole run: read, plan, (apply, re-read) ------------------------------
READ_TIMEOUT_SECONDS = 60
APPLY_TIMEOUT_SECONDS = 3600


def _vg_names(layout):
    names = [group["name"] for group in layout.volume_groups]
    for volume in layout.volumes:
        if volume["volume_group"] and volume["volume_group"] not in names:
            names.append(volume["volume_group"])
    return names


def _plan_for(layout, options, runner, host):
    state = read_state(runner, layout, activate=options.activate, host=host)
    return state, plan_layout(layout, state, options)


def apply_layout(params, runner, check_mode=False, want_diff=False, host=None, timeout=None):
    """Read the state, plan, and (unless ``check_mode``) apply the layout.

    Returns (failed, result): ``result`` is what the module returns (with
    ``msg`` when ``failed``). Nothing runs when the layout is refused.
    """

    options = Options(activate=params.get("activate", True), allow_shrink=params.get("allow_shrink", False),
                      force_signatures=params.get("force_signatures", False),
                      allow_vg_removal=params.get("allow_vg_removal", False))
    layout, layout_refusals = normalize_layout(params.get("volume_groups"), params.get("volumes"))
    try:
        state, plan = _plan_for(layout, options, runner, host)
    except StateError as exc:
        return True, {"msg": "cannot read the LVM state: %s" % exc, "changed": False, "plan": [],
                      "refusals": layout_refusals}
    refusals = layout_refusals + [item for item in plan.refusals if item not in layout_refusals]
    result = {"changed": False, "plan": [], "refusals": refusals, "kept": plan.kept, "skipped_steps": plan.skipped,
              "notes": plan.notes, "warnings": []}
    if refusals:
        result["msg"] = "%d refusal(s); nothing was changed: %s" % (
            len(refusals), " ".join("(%d) %s" % (index + 1, text) for index, text in enumerate(refusals)))
        return True, result

    names = _vg_names(layout)
    before = summarize(state, names)
    result["plan"] = render_plan(plan.actions, options.activate)
    result["changed"] = bool(plan.actions)
    if check_mode or not plan.actions:
        result["lvm"] = plan.predicted if plan.actions else before
        if want_diff:
            result["diff"] = {"before": before, "after": plan.predicted if plan.actions else before}
        return False, result

    report = execute(plan.actions, runner, activate=options.activate, timeout=timeout or APPLY_TIMEOUT_SECONDS)
    result["ran"] = report.ran
    if not report.ok:
        result.update(msg="applying the plan stopped: %s" % report.summary(), failed_command=report.failed,
                      not_run=report.not_run)
        return True, result
    try:
        after_state, replan = _plan_for(layout, options, runner, host)
    except StateError as exc:
        result["warnings"].append("the plan ran, but the LVM state could not be read again: %s" % exc)
        return False, result
    after = summarize(after_state, names)
    result["lvm"] = after
    if want_diff:
        result["diff"] = {"before": before, "after": after}
    if replan.actions or replan.refusals:
        result["warnings"].append("after applying, a new plan is not empty (%s)" % "; ".join(
            [action["reason"] for action in replan.actions] + replan.refusals))
    return False, result
