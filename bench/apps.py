from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Benchmark tooling: the synthetic data generator and its ``generate_synthetic`` command.

    Installed by ``bench.settings`` (and the test settings, which test it), never in production."""

    name = "bench"
    verbose_name = "Benchmarks"
