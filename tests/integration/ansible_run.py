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


def playbook(path, extra_vars=None, inventory_text=None, env=None, tmp_path=None, check=False):
    """Run ansible-playbook; returns (rc, parsed JSON callback output, stderr).

    The default inventory puts localhost (local connection) in agent_machines.
    """
    inventory = os.path.join(str(tmp_path), "inventory.yml")
    with open(inventory, "w", encoding="utf-8") as handle:
        handle.write(inventory_text or (
            "agent_machines:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
            "      ansible_python_interpreter: %s\n" % sys.executable))
    command = ["ansible-playbook", "-i", inventory, path]
    for key, value in (extra_vars or {}).items():
        command += ["-e", json.dumps({key: value})]
    if check:
        command.append("--check")
    full_env = ansible_env()
    full_env.update(env or {})
    proc = subprocess.run(command, env=full_env, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    try:
        output = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("ansible-playbook printed no JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc.returncode, output, proc.stderr


def task_results(output, host="localhost"):
    """{task name: result} for one host, last occurrence wins; role task
    names are given without their "role : " prefix."""
    results = {}
    for play in output["plays"]:
        for task in play["tasks"]:
            if host in task["hosts"]:
                results[task["task"]["name"].split(" : ", 1)[-1]] = task["hosts"][host]
    return results
