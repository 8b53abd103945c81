"""On-demand benchmarks (not tests): run ``python -m bench.bench_core --help`` from the repository root."""
