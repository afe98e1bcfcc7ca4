"""Run real ansible commands against this collection and read their JSON output."""

import json
import os
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_COLLECTIONS = os.path.join(REPO_ROOT, ".build", "collections")


def ansible_env(collections_path=DEFAULT_COLLECTIONS):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path,
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_CONFIG": os.path.join(REPO_ROOT, "ansible.cfg"),
    })
    return env


def adhoc(module, args="", collections_path=DEFAULT_COLLECTIONS, extra=()):
    """Run one module on localhost; returns (rc, result dict for localhost)."""
    command = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", module]
    if args:
        command += ["-a", args]
    command += list(extra)
    proc = subprocess.run(command, env=ansible_env(collections_path), capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    try:
        output = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible printed no JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))
    return proc.returncode, output["plays"][0]["tasks"][0]["hosts"]["localhost"]
