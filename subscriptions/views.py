"""Pages for following: the follow buttons' endpoint, "What I follow", the digest day, the calendar feed, and the
digest's one-click unsubscribe (which needs no sign-in: the signed token is the authority)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from commitments.choices import PolicyArea

from .calendar import build_calendar
from .choices import FollowKind
from .forms import DigestSettingsForm, FollowAreaForm, FollowForm
from .models import FollowerSettings
from .selectors import follows_of, scope_of
from .services import (
    calendar_token_rotate,
    digest_unsubscribe,
    follow_add,
    follow_remove,
    follow_target,
    follower_settings_for,
    follower_settings_update,
    unsubscribe_user,
)


def _feed_url(request, token: str, everything: bool = False) -> str:
    url = request.build_absolute_uri(reverse("subscriptions:calendar_feed", args=[token]))
    return url + ("?scope=all" if everything else "")


class FollowingView(LoginRequiredMixin, View):
    """What I follow: every follow with an unfollow button, the digest day, the calendar feed's addresses."""

    def get(self, request, digest_form=None, area_form=None, status=200):
        follower = follower_settings_for(user=request.user)
        initial = "off" if follower.digest_weekday is None else str(follower.digest_weekday)
        context = {
            "follows": list(follows_of(user=request.user)),
            "digest_form": digest_form or DigestSettingsForm(initial={"digest_day": initial}),
            "area_form": area_form or FollowAreaForm(),
            "follower": follower,
            "feed_url": _feed_url(request, follower.calendar_token),
            "feed_url_all": _feed_url(request, follower.calendar_token, everything=True),
            "kinds": FollowKind,
        }
        return render(request, "subscriptions/following.html", context, status=status)

    def post(self, request):
        """Follow a policy area (the other kinds have buttons on their pages)."""
        form = FollowAreaForm(request.POST)
        if not form.is_valid():
            return self.get(request, area_form=form, status=400)
        area = form.cleaned_data["area"]
        _, created = follow_add(user=request.user, kind=FollowKind.AREA, target=area)
        label = dict(form.fields["area"].choices)[area]
        messages.success(request, f"You follow {label}." if created else f"You already follow {label}.")
        return HttpResponseRedirect(reverse("subscriptions:following"))


class FollowToggleView(LoginRequiredMixin, View):
    """POST only: follow or unfollow a commitment, body, framework or policy area, then go back."""

    http_method_names = ["post"]

    def post(self, request):
        form = FollowForm(request.POST)
        target = None
        if form.is_valid():
            try:
                target = follow_target(kind=form.cleaned_data["kind"], key=form.cleaned_data["target"])
            except ValidationError as exc:
                form.add_service_errors(exc)
        if not form.is_valid() or target is None:
            return render(request, "subscriptions/follow_error.html", {"form": form}, status=400)
        kind, action = form.cleaned_data["kind"], form.cleaned_data["action"]
        label = FollowKind(kind).label.lower()
        name = target if isinstance(target, str) else str(target)
        if kind == FollowKind.AREA:
            name = PolicyArea(target).label
        if action == "follow":
            follow_add(user=request.user, kind=kind, target=target)
            messages.success(request, f"You follow the {label} {name}. It will appear in your weekly digest.")
        else:
            follow_remove(user=request.user, kind=kind, target=target)
            messages.success(request, f"You no longer follow the {label} {name}.")
        next_url = form.cleaned_data.get("next") or ""
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
            next_url = reverse("subscriptions:following")
        return HttpResponseRedirect(next_url or reverse("subscriptions:following"))


class DigestSettingsView(LoginRequiredMixin, View):
    """POST only: choose the digest's weekday, or no digest."""

    http_method_names = ["post"]

    def post(self, request):
        form = DigestSettingsForm(request.POST)
        if not form.is_valid():
            return FollowingView().get(request, digest_form=form, status=400)
        follower = follower_settings_update(user=request.user, digest_weekday=form.weekday())
        if follower.digest_weekday is None:
            messages.success(request, "Saved: no weekly digest.")
        else:
            messages.success(request, f"Saved: your digest comes every {follower.get_digest_weekday_display()}.")
        return HttpResponseRedirect(reverse("subscriptions:following"))


class CalendarRotateView(LoginRequiredMixin, View):
    """POST only: a new secret address for the calendar feed; the old one stops working."""

    http_method_names = ["post"]

    def post(self, request):
        calendar_token_rotate(user=request.user)
        messages.success(request, "Your calendar feed has a new address: the old one no longer works.")
        return HttpResponseRedirect(reverse("subscriptions:following") + "#calendar")


def calendar_response(*, scope, name: str, body: bytes | None = None) -> HttpResponse:
    """The feed as an HTTP answer (built here unless ``body`` is given)."""
    body = build_calendar(scope=scope, name=name) if body is None else body
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tracker.ics"'
    response["Cache-Control"] = "private, no-cache"
    return response


@method_decorator(login_not_required, name="dispatch")
class CalendarFeedView(View):
    """The per-user secret address calendar programs subscribe to (they cannot sign in): the token is the key.
    An unknown or rotated token is a 404. ``?scope=all`` for everything instead of what the user follows."""

    http_method_names = ["get", "head"]

    def get(self, request, token: str):
        follower = FollowerSettings.objects.select_related("user").filter(calendar_token=token).first()
        if follower is None or not follower.user.is_active:
            raise Http404("No calendar at this address (it may have been replaced by a new one).")
        everything = request.GET.get("scope") == "all"
        scope = None if everything else scope_of(user=follower.user)
        name = "EU–Japan tracker" + ("" if everything else f": followed by {follower.user.get_username()}")
        return calendar_response(scope=scope, name=name)


@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class UnsubscribeView(View):
    """The digest's unsubscribe link. GET shows one button; POST (the button, or a mail program's RFC 8058
    one-click POST) switches the digest off. No sign-in and no CSRF token: the signed token in the address is
    the authority, and it cannot be forged without SECRET_KEY. A bad token is a 400 and changes nothing."""

    http_method_names = ["get", "post"]

    def get(self, request, token: str):
        try:
            user = unsubscribe_user(token=token)
        except signing.BadSignature:
            return render(request, "subscriptions/unsubscribe.html", {"invalid": True}, status=400)
        return render(request, "subscriptions/unsubscribe.html", {"user_name": user.get_username(), "token": token})

    def post(self, request, token: str):
        try:
            digest_unsubscribe(token=token)
        except signing.BadSignature:
            return render(request, "subscriptions/unsubscribe.html", {"invalid": True}, status=400)
        return render(request, "subscriptions/unsubscribe.html", {"done": True})
