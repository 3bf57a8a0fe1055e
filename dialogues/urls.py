from django.urls import path

from . import views

app_name = "dialogues"

urlpatterns = [
    path("", views.DialogueBodyListView.as_view(), name="body_list"),
    path("<str:short_name>/", views.DialogueBodyDetailView.as_view(), name="body_detail"),
]
