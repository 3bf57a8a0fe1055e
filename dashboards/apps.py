from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """The delegation's read layer over both domain apps: the overview, what changed, the cadence timeline and
    each framework's page. It reads through the domain apps' querysets and selectors and writes nothing."""

    name = "dashboards"
    verbose_name = "Dashboards"
