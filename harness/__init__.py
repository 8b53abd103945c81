"""Real Orthanc, PostgreSQL, nginx and Chromium for the tests and the benchmarks.

Plain classes and helpers, no pytest: the fixtures that use them are in the
tests' conftest files. Not shipped with the plugin.
"""
