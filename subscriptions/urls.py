from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    path("", views.FollowingView.as_view(), name="following"),
    path("toggle/", views.FollowToggleView.as_view(), name="follow_toggle"),
    path("digest/", views.DigestSettingsView.as_view(), name="digest_settings"),
    path("calendar/rotate/", views.CalendarRotateView.as_view(), name="calendar_rotate"),
    path("calendar/<str:token>.ics", views.CalendarFeedView.as_view(), name="calendar_feed"),
    path("unsubscribe/<str:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
]
