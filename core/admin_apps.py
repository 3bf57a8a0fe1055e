"""``django.contrib.admin`` as the project installs it: with its own site as ``admin.site`` (a module of its own, as
an app module may declare one default configuration)."""

from django.contrib.admin.apps import AdminConfig


class TrackerAdminConfig(AdminConfig):
    """``django.contrib.admin`` with the project's site (``core.admin_base.TrackerAdminSite``) as ``admin.site``."""

    default_site = "core.admin_base.TrackerAdminSite"
