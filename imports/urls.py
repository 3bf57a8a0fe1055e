from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.ImportStartView.as_view(), name="import_start"),
    path("<int:pk>/", views.ImportRunView.as_view(), name="run_detail"),
    path("<int:pk>/progress.json", views.ImportProgressView.as_view(), name="run_progress"),
    path("templates/<str:kind>.<str:fmt>", views.ImportTemplateView.as_view(), name="template_download"),
]
