"""Fixtures of the report tests (helpers in report_runs.py)."""

import pytest

from report_runs import RunBuilder, fleet_documents


@pytest.fixture(name="run_builder")
def run_builder_fixture(tmp_path):
    return RunBuilder(str(tmp_path / "artifacts"))


@pytest.fixture(name="fleet_run")
def fleet_run_fixture(run_builder):
    return run_builder.record_all(fleet_documents()).seal()
