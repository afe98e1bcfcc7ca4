"""Real LVM output recorded on loop devices (tests/fixtures/lvm/recorded/) and
a fake host for the storage tests. README.txt in that folder says which files
are real captures and which were written from the LVM documentation."""

import json
import os

RECORDED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "lvm", "recorded")
with open(os.path.join(RECORDED, "commands.json"), encoding="utf-8") as _handle:
    COMMANDS = json.load(_handle)
PROC_MISC_DM = "236 device-mapper\n237 loop-control\n"


def fixture(name):
    """A recorded file's text."""
    with open(os.path.join(RECORDED, name), encoding="utf-8") as handle:
        return handle.read()


def recorded(name, device=None):
    """A recorded command's result as ReplayRunner wants it; ``device``
    replaces the loop device it was recorded on."""
    record = dict(COMMANDS[name])
    record.pop("command")
    if device is not None:
        record["stdout"] = record["stdout"].replace("/dev/loop3", device)
    return record


class FakeHost:
    """Block devices, symlinks and files of a node, without touching this machine."""

    def __init__(self, block=(), links=None, files=None):
        self.block = set(block)
        self.links = dict(links or {})
        self.files = dict(files or {})

    def exists(self, path):
        return path in self.block or path in self.links or path in self.files

    def is_block(self, path):
        return self.realpath(path) in self.block

    def realpath(self, path):
        return self.links.get(path, path)

    def read_text(self, path):
        return self.files.get(path)
