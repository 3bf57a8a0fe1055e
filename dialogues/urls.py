from django.urls import path

from . import views

app_name = "dialogues"

urlpatterns = [
    path("", views.DialogueBodyListView.as_view(), name="body_list"),
    # Before the body pages: short names are capitals, so "meetings" can never be one.
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting_create"),
    path("<str:short_name>/", views.DialogueBodyDetailView.as_view(), name="body_detail"),
    path("<str:short_name>/confirm-fact/", views.BodyFactConfirmView.as_view(), name="body_confirm_fact"),
]
