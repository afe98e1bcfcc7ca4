"""Unpack a captured machine for a node to be probed as that machine.

    python tests/support/unpack_capture.py NAME DEST [--hostname HOST]

writes DEST/root (the capture's files) and DEST/commands.json (its recorded
command output), the two things machine_facts takes as ``root`` and
``recorded_commands``. DEST is replaced as a whole. ``--hostname`` renames the machine, so that several
nodes simulated from one capture get distinct machine ids.
"""

import argparse
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from support import capture  # noqa: E402  pylint: disable=wrong-import-position


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=capture.machine_names())
    parser.add_argument("dest")
    parser.add_argument("--hostname")
    args = parser.parse_args(argv)
    machine = capture.load(args.name)
    if args.hostname:
        machine.renamed(args.hostname)
    shutil.rmtree(args.dest, ignore_errors=True)
    os.makedirs(os.path.join(args.dest, "root"))
    machine.materialize(os.path.join(args.dest, "root"))
    machine.write_recording(os.path.join(args.dest, "commands.json"))


if __name__ == "__main__":
    main()
