# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet benchmark: wall time of the whole pipeline on 1, 4 and 8 podman nodes, next to ansible -m setup.

For each fleet size N, on N fresh systemd node containers (am-bench-1..N) and
one model server (am-bench-models) on the podman network am-bench-net:

1. demo/prepare.yml once (model server, nested Podman settings, provider
   image), not timed;
2. `ansible -m ansible.builtin.setup` on the same nodes: the baseline;
3. `ansible-playbook demo/registry.yml playbooks/site.yml`: the first run,
   then the idempotent re-run, checked to report changed=0 on every host.

Then variants of the re-run, each checked the same way: forks 1 and
pipelining asked for on the second-largest fleet (forks 1 on 8 nodes would
cost minutes and says the same), and forks N on the largest. Every figure is
wall-clock seconds of the whole command (controller start included), measured
in the same run; the ratios compare figures of the same run only. The
controller's CPU seconds (ansible and the podman clients it starts) are
printed beside the re-run: on a small controller they, not the nodes, set
the pace.

Then, on the same converged nodes, the same measures over SSH (the nodes run
sshd; the bench authorizes a key of its own): setup, and the re-run with
pipelining off and on. The podman connection cannot pipeline and costs the
controller a few podman client runs per task; SSH with ControlPersist is
what a real fleet uses.

Usage: bench/fleet/bench_fleet.py [--quick] [--sizes 1,4,8] [--rounds N] [--no-variants] [--no-ssh] [--keep]
(run through `make bench-fleet`, which sets up the environment). --quick
measures 1 and 2 nodes. Exits 1 when a goal is missed, 0 when both are met.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import namedtuple

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODES_SCRIPT = os.path.join(REPO, "scripts", "nodes.sh")
NETWORK = "am-bench-net"
MODEL_SERVER = "am-bench-models"
SITE = ["demo/registry.yml", "playbooks/site.yml"]
PREPARE = ["demo/prepare.yml"]
SIZES = (1, 4, 8)
QUICK_SIZES = (1, 2)
Run = namedtuple("Run", "seconds cpu output")
SETUP_ROUNDS = 3  # a few seconds each: the median steadies the baseline on a busy controller
RERUN_GOAL = 3.0
FIRST_GOAL = 0.5


def node_names(count):
    return ["am-bench-%d" % index for index in range(1, count + 1)]


def default_forks():
    from ansible import constants  # reads ANSIBLE_CONFIG, like the commands timed here

    return int(constants.DEFAULT_FORKS)


def podman_pipelining():
    """Whether the podman connection plugin can pipeline at all (it declares it)."""
    from ansible_collections.containers.podman.plugins.connection.podman import Connection

    return bool(Connection.has_pipelining)


def base_environment(work):
    provider_image = subprocess.run([os.path.join(REPO, "scripts", "provider-image.sh")],
                                    check=True, capture_output=True, text=True).stdout.strip()
    model = os.path.join(work, "tiny.gguf")
    subprocess.run([sys.executable, os.path.join(REPO, "tests", "support", "tiny_gguf.py"), model], check=True,
                   stdout=subprocess.DEVNULL)
    return dict(os.environ,
                AGENT_MACHINE_NODE_NETWORK=NETWORK,
                AGENT_MACHINE_PROVIDER_IMAGE=provider_image,
                AGENT_MACHINE_DEMO_MODEL=model,
                AGENT_MACHINE_ARTIFACTS_DIR=os.path.join(work, "artifacts"),
                ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                ANSIBLE_RETRY_FILES_ENABLED="0")


def write_inventory(directory, names):
    """An inventory of this fleet with the demo's desired state (demo/group_vars) beside it."""
    os.makedirs(directory)
    inventory = {"agent_machines": {"children": {"edge_nodes": {"hosts": {name: None for name in names}}}},
                 "model_servers": {"hosts": {MODEL_SERVER: None}}}
    path = os.path.join(directory, "inventory.yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle, indent=2)
    os.symlink(os.path.join(REPO, "demo", "group_vars"), os.path.join(directory, "group_vars"))
    return path


def authorize_ssh(names, work):
    """A key of the bench's own, authorized for root on every node; returns the private key's path."""
    key = os.path.join(work, "ssh-key")
    if not os.path.exists(key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "am-bench", "-f", key], check=True)
    with open(key + ".pub", encoding="utf-8") as handle:
        public = handle.read()
    for name in names:
        subprocess.run(["podman", "exec", "-i", name, "sh", "-c",
                        "install -d -m 0700 /root/.ssh && cat > /root/.ssh/authorized_keys"
                        " && chmod 0600 /root/.ssh/authorized_keys && systemctl start ssh"],
                       input=public, text=True, check=True, stdout=subprocess.DEVNULL)
    return key


def node_address(name):
    template = '{{ (index .NetworkSettings.Networks "%s").IPAddress }}' % NETWORK
    return subprocess.run(["podman", "inspect", name, "--format", template],
                          check=True, capture_output=True, text=True).stdout.strip()


def write_ssh_inventory(directory, names, key):
    """The same fleet, reached over SSH as root with the bench's key (host variables beat the demo's
    group_vars/all connection)."""
    ssh_vars = {"ansible_connection": "ssh", "ansible_user": "root", "ansible_ssh_private_key_file": key,
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"}
    hosts = {name: dict(ssh_vars, ansible_host=node_address(name)) for name in names}
    inventory = {"agent_machines": {"children": {"edge_nodes": {"hosts": hosts}}},
                 "model_servers": {"hosts": {MODEL_SERVER: None}}}
    path = os.path.join(directory, "inventory-ssh.yml")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(inventory, handle, indent=2)
    return path


def measure_ssh(count, directory, names, work, env):
    """Setup and the re-run over SSH, pipelining off and on, on the converged fleet."""
    inventory = write_ssh_inventory(directory, names, authorize_ssh(names, work))
    row = {"nodes": count}
    row["setup"] = median_run([setup_baseline(inventory, env) for round_ in range(SETUP_ROUNDS)])
    for pipelining in (False, True):
        label = "re-run over SSH on %d node(s), pipelining %s" % (count, "on" if pipelining else "off")
        row[pipelining] = rerun(inventory, env, label, {"ANSIBLE_PIPELINING": str(pipelining)})
        log("%s: %.1f s" % (label, row[pipelining].seconds))
    return row


def nodes(action, names, env):
    subprocess.run([NODES_SCRIPT, action] + list(names), env=env, check=True, stdout=subprocess.DEVNULL)


def remove_network():
    subprocess.run(["podman", "network", "rm", "-f", NETWORK], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def timed(argv, env, label):
    """Run an ansible command with the JSON callback; return a Run. Fails loudly, naming the failed tasks."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    returncode, stdout, stderr = run_in_own_group(argv, env)
    seconds = time.perf_counter() - start
    cpu = children_cpu() - cpu_before
    try:
        output = last_document(stdout)
    except ValueError:
        sys.exit("%s: exit %d, no JSON output:\n%s\n%s" % (label, returncode, stdout[-3000:], stderr[-3000:]))
    failed = {host: stats for host, stats in output.get("stats", {}).items()
              if stats["failures"] or stats["unreachable"]}
    if returncode != 0 or failed:
        problems = task_results(output, lambda result: result.get("failed") or result.get("unreachable"))
        sys.exit("%s failed (exit %d): %s\n%s\n%s" % (label, returncode, failed, "\n".join(problems), stderr[-3000:]))
    return Run(seconds, cpu, output)


def run_in_own_group(argv, env):
    """Run argv; if the bench is stopped meanwhile, stop it with all its workers (ansible forks them)."""
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate()
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc.returncode, stdout, stderr


def children_cpu():
    """CPU seconds of finished child processes: ansible and the podman clients it starts, not the nodes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def last_document(text):
    """The JSON callback prints one document per playbook, each with every play and the stats so far."""
    decoder, position, document = json.JSONDecoder(), 0, None
    while True:
        start = text.find("{", position)
        if start < 0:
            break
        try:
            candidate, position = decoder.raw_decode(text, start)
        except ValueError:
            position = start + 1
            continue
        if isinstance(candidate, dict) and "stats" in candidate:
            document = candidate
    if document is None:
        raise ValueError("no JSON document")
    return document


def task_results(output, wanted):
    """'play / task / host: message' for every host result that `wanted` selects."""
    lines = []
    for play in output.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task.get("hosts", {}).items():
                if wanted(result):
                    message = result.get("msg") or result.get("stderr") or ""
                    lines.append("  %s / %s / %s: %s" % (play["play"]["name"], task["task"]["name"], host,
                                                         str(message)[:500]))
    return lines


def assert_unchanged(output, label):
    changed = {host: stats["changed"] for host, stats in output["stats"].items() if stats["changed"]}
    if changed:
        tasks = task_results(output, lambda result: result.get("changed"))
        sys.exit("%s is not idempotent: changed=%s\n%s" % (label, changed, "\n".join(tasks)))


def site(inventory, env, label, extra=None):
    return timed(["ansible-playbook", "-i", inventory] + SITE, dict(env, **(extra or {})), label)


def rerun(inventory, env, label, extra=None):
    run = site(inventory, env, label, extra)
    assert_unchanged(run.output, label)
    return run


def setup_baseline(inventory, env):
    # The operator's plain fact gathering: no fact cache.
    return timed(["ansible", "-i", inventory, "agent_machines", "-m", "ansible.builtin.setup"],
                 dict(env, ANSIBLE_CACHE_PLUGIN="memory"), "ansible -m setup")


def host_tasks(output):
    """Task results over all nodes: the work that grows with the fleet."""
    return sum(stats["ok"] + stats["changed"] + stats["skipped"] + stats["failures"]
               for host, stats in output["stats"].items() if host.startswith("am-bench-"))


def median_run(runs):
    runs = sorted(runs, key=lambda run: run.seconds)
    return runs[len(runs) // 2]


def plan_variants(sizes, forks):
    """Re-runs beside the default one: forks 1 and pipelining on the second-largest fleet (the largest when
    there are two sizes), and forks N on the largest fleet when N is more than the default."""
    serial = sizes[-2] if len(sizes) >= 3 else sizes[-1]
    variants = {size: [] for size in sizes}
    if serial > 1:
        variants[serial].append((1, False))
    variants[serial].append((forks, True))
    if sizes[-1] > forks:
        variants[sizes[-1]].append((sizes[-1], False))
    return variants


def measure_fleet(count, work, env, rounds, forks, variants, ssh):
    names = node_names(count)
    directory = os.path.join(work, "fleet-%d" % count)
    inventory = write_inventory(directory, names)
    # The demo's prepare publishes the model server's address as a cacheable fact for later runs.
    env = dict(env, ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=os.path.join(directory, "facts"))
    log("%d node(s): starting containers" % count)
    nodes("up", names + [MODEL_SERVER], env)
    log("%d node(s): demo/prepare.yml (not timed)" % count)
    timed(["ansible-playbook", "-i", inventory] + PREPARE, env, "demo/prepare.yml")

    row = {"nodes": count, "variants": []}
    row["setup"] = median_run([setup_baseline(inventory, env) for round_ in range(SETUP_ROUNDS)])
    log("%d node(s): setup %.1f s; first run" % (count, row["setup"].seconds))
    row["first"] = site(inventory, env, "first run on %d node(s)" % count)
    log("%d node(s): first run %.1f s; re-run" % (count, row["first"].seconds))
    row["rerun"] = median_run([rerun(inventory, env, "re-run on %d node(s)" % count) for round_ in range(rounds)])
    log("%d node(s): re-run %.1f s" % (count, row["rerun"].seconds))
    for variant_forks, pipelining in variants:
        label = "re-run on %d node(s), forks %d, pipelining %s" % (count, variant_forks, "on" if pipelining else "off")
        run = rerun(inventory, env, label, {"ANSIBLE_FORKS": str(variant_forks), "ANSIBLE_PIPELINING": str(pipelining)})
        row["variants"].append((variant_forks, pipelining, run))
        log("%s: %.1f s" % (label, run.seconds))
    row["ssh"] = measure_ssh(count, directory, names, work, env) if ssh else None
    nodes("down", names, env)
    return row


def log(message):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


def verdict(value, goal):
    return "met" if value <= goal else "NOT met"


def slope(before, after, key):
    return (after[key].seconds - before[key].seconds) / (after["nodes"] - before["nodes"])


def print_report(rows, forks, pipelining_supported, elapsed):
    first, last = rows[0], rows[-1]
    print("bench/fleet: wall seconds of whole commands on podman nodes; forks %d (the default), no pipelining; "
          "setup: median of %d" % (forks, SETUP_ROUNDS))
    print("  site = ansible-playbook demo/registry.yml playbooks/site.yml, setup = ansible -m setup on the same "
          "nodes; cpu = controller CPU seconds of the re-run (ansible and its podman clients)")
    headings = ("nodes", "host-tasks", "setup", "first", "re-run", "cpu", "first/setup", "re-run/setup", "re-run/first")
    print("  %5s %10s %7s %7s %7s %7s %12s %13s %13s" % headings)
    for row in rows:
        setup, first_run, rerun_ = row["setup"].seconds, row["first"].seconds, row["rerun"].seconds
        print("  %5d %10d %7.1f %7.1f %7.1f %7.1f %12.1f %13.1f %13.2f" % (
            row["nodes"], host_tasks(row["rerun"].output), setup, first_run, rerun_, row["rerun"].cpu,
            first_run / setup, rerun_ / setup, rerun_ / first_run))
    n, m = last["nodes"], first["nodes"]
    scale = last["rerun"].seconds / first["rerun"].seconds
    idem = last["rerun"].seconds / last["first"].seconds
    print("ratios:")
    print("  re-run(%d)/re-run(%d) = %.2f   goal <= %.1f: %s" % (n, m, scale, RERUN_GOAL, verdict(scale, RERUN_GOAL)))
    print("  re-run(%d)/first(%d)  = %.2f   goal <= %.1f: %s" % (n, n, idem, FIRST_GOAL, verdict(idem, FIRST_GOAL)))
    goals_met = scale <= RERUN_GOAL and idem <= FIRST_GOAL
    print("  setup(%d)/setup(%d)   = %.2f   (the baseline's own growth)" % (
        n, m, last["setup"].seconds / first["setup"].seconds))
    print("per added host: re-run %+.2f s (cpu %+.2f s), first run %+.2f s, setup %+.2f s (%d -> %d nodes)" % (
        slope(first, last, "rerun"), (last["rerun"].cpu - first["rerun"].cpu) / (n - m),
        slope(first, last, "first"), slope(first, last, "setup"), m, n))
    added_tasks = host_tasks(last["rerun"].output) - host_tasks(first["rerun"].output)
    print("  per added host-task: re-run %+.3f s (setup: one task per host)" % (
        (last["rerun"].seconds - first["rerun"].seconds) / added_tasks))
    print("  re-run by step: %s" % ", ".join("%d -> %d: %+.2f s/host" % (
        before["nodes"], after["nodes"], slope(before, after, "rerun")) for before, after in zip(rows, rows[1:])))
    if any(row["variants"] for row in rows):
        print_variants(rows, pipelining_supported)
    if all(row.get("ssh") for row in rows):
        print_ssh(rows)
    print("bench time: %.0f s (containers and prepare included); load average at the end: %s" % (
        elapsed, " ".join("%.2f" % value for value in os.getloadavg())))
    return goals_met


def print_variants(rows, pipelining_supported):
    print("re-run variants (each against the default re-run of the same fleet):")
    for row in rows:
        for variant_forks, pipelining, run in row["variants"]:
            print("  %d nodes, forks %d, pipelining %-3s: %6.1f s (default %6.1f s): %.2fx" % (
                row["nodes"], variant_forks, "on" if pipelining else "off", run.seconds, row["rerun"].seconds,
                run.seconds / row["rerun"].seconds))
    print("  pipelining: the containers.podman.podman connection %s" % (
        "pipelines" if pipelining_supported else "declares has_pipelining = False: it never pipelines, "
        "so a difference is noise"))


def print_ssh(rows):
    print("over SSH (the same converged nodes, ansible's ssh connection with ControlPersist; cpu: controller CPU "
          "of the pipelined re-run, the SSH master processes it leaves running excluded):")
    print("  %5s %7s %9s %9s %7s %11s %10s" % ("nodes", "setup", "re-run", "+pipeline", "cpu", "pipelining",
                                               "vs podman"))
    for row in rows:
        ssh = row["ssh"]
        print("  %5d %7.1f %9.1f %9.1f %7.1f %10.2fx %9.2fx" % (
            row["nodes"], ssh["setup"].seconds, ssh[False].seconds, ssh[True].seconds, ssh[True].cpu,
            ssh[True].seconds / ssh[False].seconds, ssh[True].seconds / row["rerun"].seconds))
    first, last = rows[0], rows[-1]
    scale = last["ssh"][True].seconds / first["ssh"][True].seconds
    print("  re-run(%d)/re-run(%d) over SSH with pipelining = %.2f   goal <= %.1f: %s" % (
        last["nodes"], first["nodes"], scale, RERUN_GOAL, verdict(scale, RERUN_GOAL)))
    print("  per added host: re-run %+.2f s (cpu %+.2f s) over SSH with pipelining" % (
        (last["ssh"][True].seconds - first["ssh"][True].seconds) / (last["nodes"] - first["nodes"]),
        (last["ssh"][True].cpu - first["ssh"][True].cpu) / (last["nodes"] - first["nodes"])))


def parse_sizes(text):
    sizes = sorted({int(value) for value in text.split(",")})
    if len(sizes) < 2 or sizes[0] < 1:
        raise argparse.ArgumentTypeError("--sizes needs at least two fleet sizes >= 1, e.g. 1,4,8")
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 2 nodes (development)")
    parser.add_argument("--sizes", type=parse_sizes, help="fleet sizes, comma separated (default 1,4,8)")
    parser.add_argument("--rounds", type=int, choices=range(1, 10), default=1, metavar="1-9",
                        help="default re-runs per size; their median is reported (setup: always 3)")
    parser.add_argument("--no-variants", action="store_true", help="skip the forks and pipelining re-runs")
    parser.add_argument("--no-ssh", action="store_true", help="skip the measures over SSH")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (inventories, receipts)")
    args = parser.parse_args()
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)

    # SIGTERM ends the run through the finally below, so the containers go too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit("bench/fleet: terminated"))
    started = time.perf_counter()
    work = tempfile.mkdtemp(prefix="am-bench-fleet-")
    everything = node_names(max(sizes)) + [MODEL_SERVER]
    env = None
    try:
        env = base_environment(work)
        nodes("down", everything, env)
        forks = default_forks()
        variants = {size: [] for size in sizes} if args.no_variants else plan_variants(sizes, forks)
        rows = [measure_fleet(count, work, env, args.rounds, forks, variants[count], not args.no_ssh) for count in sizes]
    finally:
        if env is not None:
            nodes("down", everything, env)
        remove_network()
        if args.keep:
            log("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if not print_report(rows, forks, podman_pipelining(), time.perf_counter() - started):
        sys.exit("bench/fleet: a goal is missed")


if __name__ == "__main__":
    main()
