"""Probe vs ansible.builtin.setup on the same podman node, in the same run.

Two measurements, both alternating the two modules ROUNDS times:

1. Module run on the node: each module's AnsiballZ payload (kept with
   ANSIBLE_KEEP_REMOTE_FILES) executed inside the node, timed there. This is
   the module's whole run (interpreter start, unpacking, probing, JSON out)
   without transport; the goal probe/setup <= 0.5 is judged on it.
2. Task wall time over the podman connection, from the JSON callback. The
   podman connection cannot pipeline, so every task pays a fixed transport
   cost (about a second here) that is printed separately (ansible.builtin.ping).

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


PING = "ansible.builtin.ping"
# Runs inside the node: alternate the kept payloads and time each whole run.
IN_NODE_TIMER = """
import json, subprocess, sys, time
rounds, payloads = int(sys.argv[1]), sys.argv[2:]
times = {p: [] for p in payloads}
for _ in range(rounds):
    for p in payloads:
        start = time.perf_counter()
        subprocess.run([sys.executable, p], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times[p].append(time.perf_counter() - start)
print(json.dumps(times))
"""


def playbook(rounds):
    tasks = []
    for index in range(rounds):
        tasks.append({"name": "setup %d" % index, SETUP: {}})
        tasks.append({"name": "probe %d" % index, PROBE: {}})
        tasks.append({"name": "ping %d" % index, PING: {}})
    return [{"name": "bench", "hosts": NODE, "gather_facts": False, "tasks": tasks}]


def seconds(duration):
    start = datetime.fromisoformat(duration["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(duration["end"].replace("Z", "+00:00"))
    return (end - start).total_seconds()


def podman_exec(*argv, stdin=None):
    proc = subprocess.run(["podman", "exec", "-i", NODE] + list(argv), input=stdin, capture_output=True, text=True, check=True)
    return proc.stdout


def run(rounds, keep_remote_files=False):
    with tempfile.TemporaryDirectory() as work:
        play_path = os.path.join(work, "bench.yml")
        inventory_path = os.path.join(work, "inventory.yml")
        with open(play_path, "w", encoding="utf-8") as handle:
            json.dump(playbook(rounds), handle)
        with open(inventory_path, "w", encoding="utf-8") as handle:
            json.dump({"all": {"hosts": {NODE: {"ansible_connection": "containers.podman.podman",
                                                "ansible_python_interpreter": "/usr/bin/python3"}}}}, handle)
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                   ANSIBLE_KEEP_REMOTE_FILES="1" if keep_remote_files else "0")
        proc = subprocess.run(["ansible-playbook", "-i", inventory_path, play_path], env=env,
                              capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("benchmark playbook failed:\n%s\n%s" % (proc.stdout[-4000:], proc.stderr[-4000:]))
    return json.loads(proc.stdout)


def summarize(output):
    by_prefix = {"setup": SETUP, "probe": PROBE, "ping": PING}
    times = {SETUP: [], PROBE: [], PING: []}
    facts = {}
    for task in output["plays"][0]["tasks"]:
        module = by_prefix[task["task"]["name"].split()[0]]
        times[module].append(seconds(task["task"]["duration"]))
        facts[module] = task["hosts"][NODE].get("ansible_facts", {})
    return times, facts


def in_node_times(rounds):
    """Keep one payload of each module on the node, then time them there."""
    podman_exec("rm", "-rf", "/root/.ansible/tmp")
    run(1, keep_remote_files=True)
    listing = podman_exec("sh", "-c", "ls /root/.ansible/tmp/ansible-tmp-*/AnsiballZ_*.py").split()
    payloads = {}
    for module, name in ((SETUP, "AnsiballZ_setup.py"), (PROBE, "AnsiballZ_machine_facts.py")):
        payloads[module] = next(path for path in listing if path.endswith("/" + name))
    measured = json.loads(podman_exec("python3", "-c", IN_NODE_TIMER, str(rounds), payloads[SETUP], payloads[PROBE]))
    return {module: measured[path] for module, path in payloads.items()}


def print_table(title, times, modules):
    print(title)
    print("  %-40s %8s %8s %8s" % ("module", "median", "p90", "min"))
    for module in modules:
        values = times[module]
        print("  %-40s %8.3f %8.3f %8.3f" % (module, statistics.median(values), percentile(values, 0.9), min(values)))


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
        node_times = in_node_times(args.rounds)
        times, facts = summarize(run(args.rounds))
    finally:
        if not args.keep_node:
            subprocess.run([os.path.join(REPO, "scripts", "nodes.sh"), "down", NODE], check=False)

    print("bench/probe: %d rounds, alternating, on one podman node (%s); seconds" % (args.rounds, NODE))
    print_table("1. module run on the node (AnsiballZ payload, no transport)", node_times, (SETUP, PROBE))
    ratio = statistics.median(node_times[PROBE]) / statistics.median(node_times[SETUP])
    print("  ratio probe/setup (median): %.2f   goal <= 0.50: %s" % (ratio, "met" if ratio <= 0.5 else "NOT met"))
    print_table("2. task wall time over the podman connection (no pipelining)", times, (SETUP, PROBE, PING))
    task_ratio = statistics.median(times[PROBE]) / statistics.median(times[SETUP])
    net = (statistics.median(times[PROBE]) - statistics.median(times[PING])) / (statistics.median(times[SETUP]) - statistics.median(times[PING]))
    print("  ratio probe/setup (median): %.2f; after subtracting the ping transport cost: %.2f" % (task_ratio, net))

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
