"""Fixtures of the model materialization tests (defined in models_cases.py)."""

from models_cases import counting_io, models_root_dir, request_factory, served_model  # noqa: F401  pylint: disable=unused-import
