"""Probe vs ansible.builtin.setup on the same podman node, in the same run.

Runs a playbook that alternates `ansible.builtin.setup` and
`sourceos.agent_machine.machine_facts` ROUNDS times against one systemd node
container, reads each task's duration from the JSON callback, and prints
median/p90 for both and the ratio probe/setup (goal: <= 0.5).

Usage: bench/probe/bench_probe.py [--rounds N] [--keep-node]
(run through `make bench-probe`, which sets up the environment).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODE = "am-bench-probe"
SETUP = "ansible.builtin.setup"
PROBE = "sourceos.agent_machine.machine_facts"


def playbook(rounds):
    tasks = []
    for index in range(rounds):
        tasks.append({"name": "setup %d" % index, SETUP: {}})
        tasks.append({"name": "probe %d" % index, PROBE: {}})
    return [{"name": "bench", "hosts": NODE, "gather_facts": False, "tasks": tasks}]


def seconds(duration):
    start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def run(rounds):
    with tempfile.TemporaryDirectory() as work:
        play_path = os.path.join(work, "bench.yml")
        inventory_path = os.path.join(work, "inventory.yml")
        with open(play_path, "w", encoding="utf-8") as handle:
            json.dump(playbook(rounds), handle)
        with open(inventory_path, "w", encoding="utf-8") as handle:
            json.dump({"all": {"hosts": {NODE: {"ansible_connection": "containers.podman.podman",
                                                "ansible_python_interpreter": "/usr/bin/python3"}}}}, handle)
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
        proc = subprocess.run(["ansible-playbook", "-i", inventory_path, play_path], env=env,
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("benchmark playbook failed:\n%s\n%s" % (proc.stdout[-4000:], proc.stderr[-4000:]))
    return json.loads(proc.stdout)


def summarize(output):
    times = {SETUP: [], PROBE: []}
    facts = {}
    for task in output["plays"][0]["tasks"]:
        result = task["hosts"][NODE]
        module = SETUP if task["task"]["name"].startswith("setup") else PROBE
        times[module].append(seconds(task["task"]["duration"]))
        facts[module] = result.get("ansible_facts", {})
    return times, facts


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep-node", action="store_true")
    args = parser.parse_args()

    subprocess.run([os.path.join(REPO, "scripts", "nodes.sh"), "up", NODE], check=True, stdout=subprocess.DEVNULL)
    try:
        times, facts = summarize(run(args.rounds))
    finally:
        if not args.keep_node:
            subprocess.run([os.path.join(REPO, "scripts", "nodes.sh"), "down", NODE], check=False)

    print("bench/probe: %d rounds on one podman node (%s), task wall time in seconds" % (args.rounds, NODE))
    print("%-40s %8s %8s %8s" % ("module", "median", "p90", "min"))
    for module in (SETUP, PROBE):
        values = times[module]
        print("%-40s %8.3f %8.3f %8.3f" % (module, statistics.median(values), percentile(values, 0.9), min(values)))
    ratio = statistics.median(times[PROBE]) / statistics.median(times[SETUP])
    print("ratio probe/setup (median): %.2f   goal <= 0.50: %s" % (ratio, "met" if ratio <= 0.5 else "NOT met"))

    setup_keys = json.dumps(facts[SETUP]).lower()
    document = facts[PROBE]["agent_machine"]
    extra = [name for name, present in (
        ("accelerator types (cuda/rocm/vulkan/metal)", "accelerator" not in setup_keys),
        ("Vulkan ICD usability", "icd" not in setup_keys),
        ("Quadlet availability", "quadlet" not in setup_keys),
        ("LVM PVs/VGs/LVs", '"lvs"' not in setup_keys),
        ("CDI specs", '"cdi"' not in setup_keys),
        ("profile + evidence", '"profile"' not in setup_keys),
        ("NFD/GFD labels", "feature.node.kubernetes.io" not in setup_keys),
    ) if present]
    print("probe reports what setup lacks: %s" % "; ".join(extra))
    print("probe profile on this node: %s" % document["profile"]["name"])


if __name__ == "__main__":
    main()
