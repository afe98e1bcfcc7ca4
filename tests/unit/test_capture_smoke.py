from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext


def test_context_reads_inside_root(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostname").write_text("node-a\n")
    ctx = ProbeContext(root=str(tmp_path))
    assert ctx.read_value("/etc/hostname") == "node-a"
    assert ctx.read_value("/etc/missing") is None
    assert ctx.run(["true"]) is None
    assert not ctx.live
