"""ProbeContext: reads stay inside the root, commands run once."""

import threading

from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import CommandResult
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext


class CountingRunner:
    def __init__(self):
        self.calls = []
        self.threads = set()
        self.lock = threading.Lock()

    def which(self, name):
        return "/usr/bin/" + name

    def run(self, argv, timeout=None):
        with self.lock:
            self.calls.append(tuple(argv))
            self.threads.add(threading.get_ident())
        return CommandResult(argv, 0, " ".join(argv) + "\n", "")


def test_reads_inside_root_and_no_commands_without_runner(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostname").write_text("node-a\n")
    ctx = ProbeContext(root=str(tmp_path))
    assert ctx.read_value("/etc/hostname") == "node-a"
    assert ctx.read_value("/etc/missing") is None
    assert ctx.run(["true"]) is None
    assert not ctx.live
    assert ctx.warnings == []


def test_unreadable_file_is_a_warning(tmp_path):
    (tmp_path / "proc" / "meminfo").mkdir(parents=True)
    ctx = ProbeContext(root=str(tmp_path))
    assert ctx.read_text("/proc/meminfo") is None
    assert ctx.warnings and "/proc/meminfo" in ctx.warnings[0]


def test_absolute_symlink_resolves_inside_the_root(tmp_path):
    (tmp_path / "sys" / "devices" / "gpu0").mkdir(parents=True)
    (tmp_path / "sys" / "class").mkdir()
    (tmp_path / "sys" / "class" / "card0").symlink_to("/sys/devices/gpu0")
    ctx = ProbeContext(root=str(tmp_path))
    assert ctx.resolve("/sys/class/card0") == "/sys/devices/gpu0"


def test_prefetched_commands_run_once_and_answer_later_calls():
    runner = CountingRunner()
    ctx = ProbeContext(root="/", runner=runner)
    commands = [["lvm", "version"], ["podman", "--version"], ["systemctl", "--version"]]
    ctx.prefetch(commands)
    ctx.prefetch(commands)
    assert ctx.run(["podman", "--version"]).stdout == "podman --version\n"
    assert ctx.run(["lvm", "version"]).stdout == "lvm version\n"
    assert sorted(runner.calls) == sorted(tuple(c) for c in commands)
    ctx.run(["uname", "-r"])  # not prefetched: runs now
    assert runner.calls[-1] == ("uname", "-r")


def test_prefetch_is_a_no_op_when_commands_are_off(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    ctx.prefetch([["lvm", "version"]])
    assert ctx.run(["lvm", "version"]) is None
