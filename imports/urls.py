from django.urls import include, path

from . import views

app_name = "imports"

# One import run, under /imports/<pk>/: its page and the progress the page polls.
run_patterns = [
    path("", views.ImportRunView.as_view(), name="run_detail"),
    path("progress.json", views.ImportProgressView.as_view(), name="run_progress"),
]

urlpatterns = [
    path("", views.ImportStartView.as_view(), name="import_start"),
    path("<int:pk>/", include(run_patterns)),
    path("templates/<str:kind>.<str:fmt>", views.ImportTemplateView.as_view(), name="template_download"),
]
