# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet benchmark's bookkeeping without nodes (no timing): JSON callback output, idempotence, goals."""

import json
import os
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench", "fleet")
sys.path.insert(0, os.path.abspath(BENCH))

import bench_fleet  # noqa: E402  pylint: disable=wrong-import-position,import-error


def stats(changed=0, failures=0, ok=10):
    return {"changed": changed, "failures": failures, "ignored": 0, "ok": ok, "rescued": 0, "skipped": 2,
            "unreachable": 0}


def document(host_stats, changed_task=None):
    result = {"changed": True} if changed_task else {"changed": False}
    task = {"task": {"name": changed_task or "Probe the node"}, "hosts": {"am-bench-1": result}}
    return {"plays": [{"play": {"name": "Probe"}, "tasks": [task]}], "stats": host_stats}


def printing_command(text):
    return ["python3", "-c", "import sys; sys.stdout.write(sys.argv[1])", text]


def test_the_last_document_of_a_multi_playbook_run_counts():
    first = document({"am-bench-1": stats(changed=1)})
    last = document({"am-bench-1": stats(changed=3), "localhost": stats()})
    text = "[WARNING]: {not json}\n" + json.dumps(first) + "\n" + json.dumps(last, indent=4) + "\n"
    assert bench_fleet.last_document(text) == last


def test_output_without_stats_is_no_document():
    with pytest.raises(ValueError):
        bench_fleet.last_document('{"plays": []}\nERROR! the playbook could not be found')


def test_a_changed_rerun_stops_the_bench_naming_the_task():
    output = document({"am-bench-1": stats(changed=1), "localhost": stats()}, "Mount agent-cache-hot")
    with pytest.raises(SystemExit) as stopped:
        bench_fleet.assert_unchanged(output, "re-run on 1 node(s)")
    assert "not idempotent" in str(stopped.value)
    assert "Probe / Mount agent-cache-hot / am-bench-1" in str(stopped.value)


def test_an_unchanged_rerun_passes():
    bench_fleet.assert_unchanged(document({"am-bench-1": stats(), "localhost": stats()}), "re-run")


def test_timed_reads_a_real_command_and_fails_on_a_failed_host():
    run = bench_fleet.timed(printing_command(json.dumps(document({"am-bench-1": stats()}))), dict(os.environ), "ok")
    assert run.seconds > 0 and run.output["stats"]["am-bench-1"]["ok"] == 10
    with pytest.raises(SystemExit) as stopped:
        bench_fleet.timed(printing_command(json.dumps(document({"am-bench-1": stats(failures=1)}))),
                          dict(os.environ), "first run")
    assert "first run failed" in str(stopped.value)


def test_variants_skip_what_the_default_already_measures():
    assert bench_fleet.plan_variants([1, 4, 8], 5) == {1: [], 4: [(1, False), (5, True)], 8: [(8, False)]}
    assert bench_fleet.plan_variants([1, 2], 5) == {1: [], 2: [(1, False), (5, True)]}


def row(nodes, setup, first, rerun, tasks):
    def run(seconds, cpu=0.0, count=0):
        return bench_fleet.Run(seconds, cpu, {"stats": {"am-bench-1": stats(ok=count), "localhost": stats()}})
    return {"nodes": nodes, "setup": run(setup), "first": run(first), "rerun": run(rerun, 10.0, tasks),
            "variants": []}


def test_the_report_judges_both_goals(capsys):
    met = [row(1, 2.0, 40.0, 20.0, 100), row(8, 6.0, 130.0, 60.0, 480)]
    assert bench_fleet.print_report(met, 5, False, 100.0) is True
    assert "re-run(8)/re-run(1) = 3.00   goal <= 3.0: met" in capsys.readouterr().out
    slow = [row(1, 2.0, 40.0, 20.0, 100), row(8, 6.0, 130.0, 61.0, 480)]
    assert bench_fleet.print_report(slow, 5, False, 100.0) is False
    assert "re-run(8)/re-run(1) = 3.05   goal <= 3.0: NOT met" in capsys.readouterr().out
    cheap_first = [row(1, 2.0, 40.0, 20.0, 100), row(8, 6.0, 100.0, 55.0, 480)]
    assert bench_fleet.print_report(cheap_first, 5, False, 100.0) is False
    assert "re-run(8)/first(8)  = 0.55   goal <= 0.5: NOT met" in capsys.readouterr().out


def test_the_ssh_section_judges_scaling_with_pipelining(capsys):
    def run(seconds, cpu=1.0):
        return bench_fleet.Run(seconds, cpu, {"stats": {}})
    rows = [row(1, 2.0, 40.0, 20.0, 100), row(8, 6.0, 130.0, 60.0, 480)]
    rows[0]["ssh"] = {"nodes": 1, "setup": run(1.0), False: run(12.0), True: run(10.0, 3.0)}
    rows[1]["ssh"] = {"nodes": 8, "setup": run(2.0), False: run(40.0), True: run(28.0, 17.0)}
    bench_fleet.print_report(rows, 5, False, 100.0)
    out = capsys.readouterr().out
    assert "re-run(8)/re-run(1) over SSH with pipelining = 2.80   goal <= 3.0: met" in out
    assert "per added host: re-run +2.57 s (cpu +2.00 s) over SSH with pipelining" in out
    assert "      8     2.0      40.0      28.0    17.0       0.70x      0.47x" in out
