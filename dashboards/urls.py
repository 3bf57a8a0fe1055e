from django.urls import include, path

from core import converters  # noqa: F401  (registers <code:...>)

from . import views

app_name = "dashboards"

# The pages of one framework, under /agreements/<code>/ (its fact confirmation is the commitments app's).
agreement_patterns = [
    path("", views.AgreementDetailView.as_view(), name="agreement_detail"),
    path("briefing.pdf", views.AgreementBriefingView.as_view(), name="agreement_briefing"),
]

urlpatterns = [
    path("", views.OverviewView.as_view(), name="home"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    path("timeline/", views.TimelineView.as_view(), name="timeline"),
    path("agreements/<code:code>/", include(agreement_patterns)),
    # Under /dialogues/ next to the body's page; served here because the dialogues app sits below the dashboards.
    path("dialogues/<code:short_name>/briefing.pdf", views.BodyBriefingView.as_view(), name="body_briefing"),
    # A policy area's key (``maritime_security``); an unknown one is a 404 from the view.
    path("areas/<slug:area>/briefing.pdf", views.AreaBriefingView.as_view(), name="area_briefing"),
]
