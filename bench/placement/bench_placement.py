# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placement benchmark: the engine against today's policies, LP lower bounds, and time at scale.

1. The default workload (``workload.py``; 1,000 pods over 200 machines):
   every policy of ``baselines.py`` places the same batch through the same
   filters; each placement is scored from the documents by ``metrics.py``
   (bytes downloaded, cold loads, prefill tokens recomputed, expected cold
   start p50/p99/total, max machine utilization, constraint violations)
   with the time each policy took to decide, then ours / each baseline.
2. Small instances: ours against the LP relaxation and the MILP optimum
   of ``lp_bound.py`` (scipy, HiGHS).
3. Scale: 10,000 pods over 1,000 machines; contract validation and
   normalization of every input document, then placement, wall and CPU
   seconds (median of ``--repeat`` runs); the same policies' figures; and
   how long one pod's full PlacementDecision (every machine's cost or
   reasons) takes to build on demand by replaying the batch.

Usage: python bench/placement/bench_placement.py [--seed N] [--quick]
(``--quick``: smaller instances, for a fast look). Exits 1 when a goal is missed.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for entry in (os.path.join(REPO, ".build", "collections"), HERE):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import baselines  # noqa: E402  pylint: disable=wrong-import-position
import lp_bound  # noqa: E402  pylint: disable=wrong-import-position
import metrics  # noqa: E402  pylint: disable=wrong-import-position
import workload  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import prepare  # noqa: E402  pylint: disable=wrong-import-position

DECIDED_AT = "2026-03-02T09:33:00Z"
GOALS = {"cold start vs least-allocated": 0.5, "cold start vs first-fit": 0.5, "vs MILP optimum": 1.10, "seconds at scale": 5.0}


def run_policies(work, seed):
    """[(name, Score, seconds)] for every policy on one workload."""
    engine, pods = prepare(work.pods, **work.options())
    rows = []
    for name, chooser in baselines.policies(seed):
        result = engine.place(pods, chooser=chooser)
        figures = metrics.score(work, work.pods, result.placements, engine.fleet.ids, engine.cost_model.parameters)
        rows.append((name, figures, result.seconds))
    return rows


def print_policies(title, rows):
    print(title)
    print("  %-30s %7s %9s %6s %10s %8s %8s %10s %6s %5s %9s" % (
        "policy", "placed", "GB down", "loads", "prefill Mt", "p50 s", "p99 s", "total h", "util", "viol", "decide s"))
    for name, figures, seconds in rows:
        print("  %-30s %7d %9.1f %6d %10.2f %8.1f %8.1f %10.2f %6.2f %5d %9.3f" % (
            name, figures.placed, figures.bytes_downloaded / 1e9, figures.cold_loads, figures.prefill_tokens / 1e6,
            figures.median, figures.percentile(0.99), figures.total / 3600.0, figures.max_utilization,
            figures.violations, seconds))
    kinds = {name: figures.violation_kinds for name, figures, _seconds in rows if figures.violations}
    for name, found in kinds.items():
        print("    violations of %s: %s" % (name, ", ".join("%s %d" % item for item in sorted(found.items()))))


def _ratio(ours, theirs):
    return ours / theirs if theirs else float("nan")


def print_ratios(rows):
    ours = rows[0][1]
    print("  ours / baseline     %10s %9s %7s %10s %8s %8s" % ("total", "GB down", "loads", "prefill", "p50", "p99"))
    ratios = {}
    for name, figures, _seconds in rows[1:]:
        ratios[name] = _ratio(ours.total, figures.total)
        print("  %-30s %6.3f %9.3f %7.3f %10.3f %8.3f %8.3f" % (
            name, ratios[name], _ratio(ours.bytes_downloaded, figures.bytes_downloaded),
            _ratio(ours.cold_loads, figures.cold_loads), _ratio(ours.prefill_tokens, figures.prefill_tokens),
            _ratio(ours.median, figures.median), _ratio(ours.percentile(0.99), figures.percentile(0.99))))
    return ratios


def small_instances(seeds, nodes, pods, time_limit):
    """[(seed, ours total, LP bound, MILP value, MILP optimal, placed, pods)]."""
    rows = []
    for seed in seeds:
        work = workload.generate(seed=seed, nodes=nodes, pods=pods, tenants=2, workrooms_per_tenant=3)
        engine, requests = prepare(work.pods, **work.options())
        result = engine.place(requests)
        figures = metrics.score(work, work.pods, result.placements, engine.fleet.ids, engine.cost_model.parameters)
        placed = [position for position, placement in enumerate(result.placements) if placement.node >= 0]
        found = lp_bound.bounds(engine, requests, placed, time_limit=time_limit)
        rows.append((seed, figures.total, found["lp"], found["milp"], found["milpOptimal"], len(placed), len(requests)))
    return rows


def print_small(rows):
    print("  %-6s %7s %12s %12s %12s %9s %10s" % ("seed", "placed", "ours s", "LP bound s", "MILP s", "ours/LP", "ours/MILP"))
    for seed, ours, relaxed, exact, optimal, placed, total in rows:
        print("  %-6d %3d/%-3d %12.1f %12.1f %11.1f%s %9.3f %10.3f" % (
            seed, placed, total, ours, relaxed, exact, "" if optimal else "*", _ratio(ours, relaxed), _ratio(ours, exact)))
    if any(not row[4] for row in rows):
        print("  * MILP not solved to optimality in the time limit: its dual bound")
    if any(row[3] > row[1] * (1 + 1e-6) + 1e-6 for row in rows):
        print("  ! a MILP value above ours is no lower bound: check the solver's tolerances")


def scale(seed, nodes, pods, repeat):
    """Timings at scale: (validate+normalize wall, place wall, place cpu, total wall, engine, requests, result, work)."""
    work = workload.generate(seed=seed, nodes=nodes, pods=pods)
    timings = []
    for _round in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        engine, requests = prepare(work.pods, **work.options())
        prepared_wall, prepared_cpu = time.perf_counter() - wall, time.process_time() - cpu
        wall, cpu = time.perf_counter(), time.process_time()
        result = engine.place(requests)
        timings.append((prepared_wall, prepared_cpu, time.perf_counter() - wall, time.process_time() - cpu))
    medians = [statistics.median(values) for values in zip(*timings)]
    return medians, engine, requests, result, work


def on_demand(result, positions):
    """Seconds to build (and validate) the full decision of each pod at ``positions``."""
    seconds = []
    for position in positions:
        started = time.perf_counter()
        document = result.decision(position, DECIDED_AT)
        seconds.append(time.perf_counter() - started)
        assert len(document["candidates"]) == result.engine.fleet.size
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smaller instances")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs at scale (median)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds for each LP/MILP solve")
    args = parser.parse_args(argv)
    nodes, pods, scale_nodes, scale_pods = (40, 200, 200, 2000) if args.quick else (200, 1000, 1000, 10000)
    missed = []

    print("bench/placement: seed %d, %s" % (args.seed, "quick" if args.quick else "full"))
    rows = run_policies(workload.generate(seed=args.seed, nodes=nodes, pods=pods), args.seed)
    print_policies("\n1. default workload: %d pods over %d machines" % (pods, nodes), rows)
    ratios = print_ratios(rows)
    for baseline in ("least-allocated", "first-fit"):
        goal = GOALS["cold start vs " + baseline]
        print("  goal total cold start <= %.1fx %s: %.3f %s" % (goal, baseline, ratios[baseline], "met" if ratios[baseline] <= goal else "NOT met"))
        if ratios[baseline] > goal:
            missed.append(baseline)
    violations = sum(figures.violations for name, figures, _seconds in rows if name == "ours")
    print("  goal zero violations (ours): %d %s" % (violations, "met" if violations == 0 else "NOT met"))
    if violations:
        missed.append("violations")

    seeds = [args.seed + offset for offset in range(3 if args.quick else 5)]
    small = small_instances(seeds, 8, 16 if args.quick else 30, args.time_limit)
    print("\n2. small instances (8 machines, %d pods): ours against LP lower bounds (scipy HiGHS)" % (16 if args.quick else 30))
    print_small(small)
    worst = max(_ratio(row[1], row[3]) for row in small)
    goal = GOALS["vs MILP optimum"]
    print("  goal within 10%% of the bound: worst ours/MILP %.3f %s; worst ours/LP relaxation %.3f" % (
        worst, "met" if worst <= goal else "NOT met", max(_ratio(row[1], row[2]) for row in small)))
    if worst > goal:
        missed.append("lp")

    medians, _engine, _requests, result, work = scale(args.seed, scale_nodes, scale_pods, args.repeat)
    prepared_wall, prepared_cpu, place_wall, place_cpu = medians
    print("\n3. scale: %d pods over %d machines (median of %d runs; %d CPUs, load average %.1f)" % (
        scale_pods, scale_nodes, args.repeat, os.cpu_count(), os.getloadavg()[0]))
    print("  validate + normalize inputs  %7.3f s wall %7.3f s cpu" % (prepared_wall, prepared_cpu))
    print("  place (filters + costs on every machine for every pod)  %7.3f s wall %7.3f s cpu  (%.0f us per pod)" % (
        place_wall, place_cpu, 1e6 * place_wall / scale_pods))
    total = prepared_wall + place_wall
    print("  end to end  %7.3f s wall %7.3f s cpu; goal <= %.0f s: %s" % (
        total, prepared_cpu + place_cpu, GOALS["seconds at scale"], "met" if total <= GOALS["seconds at scale"] else "NOT met"))
    if total > GOALS["seconds at scale"]:
        missed.append("time")
    placed = sum(1 for placement in result.placements if placement.node >= 0)
    print("  placed %d of %d" % (placed, scale_pods))
    demand = on_demand(result, [0, scale_pods // 2, scale_pods - 1])
    print("  one full PlacementDecision on demand (replay + %d candidates + contract validation): %s s" % (
        scale_nodes, ", ".join("%.3f" % value for value in demand)))
    at_scale = run_policies(work, args.seed)
    print_policies("\n  policies at scale", at_scale)
    print_ratios(at_scale)

    print("\ngoals: %s" % ("all met" if not missed else "NOT met: " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
