"""Factories for follows, follower settings and digests."""

from __future__ import annotations

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from commitments.choices import PolicyArea
from commitments.tests.factories import AgreementFactory, CommitmentFactory, UserFactory
from dialogues.tests.factories import DialogueBodyFactory
from subscriptions.choices import DigestStatus, FollowKind, Weekday
from subscriptions.models import Digest, Follow, FollowerSettings


class FollowerSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowerSettings
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)
    digest_weekday = Weekday.MONDAY

    class Params:
        no_digest = factory.Trait(digest_weekday=None)


class FollowFactory(factory.django.DjangoModelFactory):
    """A follow of a commitment by default; traits ``of_body``, ``of_agreement``, ``of_area``."""

    class Meta:
        model = Follow
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    kind = FollowKind.COMMITMENT
    commitment = factory.SubFactory(CommitmentFactory)
    follower_settings = factory.RelatedFactory(FollowerSettingsFactory, user=factory.SelfAttribute("..user"))

    class Params:
        of_body = factory.Trait(kind=FollowKind.BODY, commitment=None, body=factory.SubFactory(DialogueBodyFactory))
        of_agreement = factory.Trait(
            kind=FollowKind.AGREEMENT, commitment=None, agreement=factory.SubFactory(AgreementFactory)
        )
        of_area = factory.Trait(kind=FollowKind.AREA, commitment=None, area=PolicyArea.CYBER)


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Digest

    user = factory.SubFactory(UserFactory)
    due_on = factory.LazyFunction(timezone.localdate)
    period_end = factory.LazyFunction(timezone.now)
    period_start = factory.LazyAttribute(lambda o: o.period_end - timedelta(days=7))
    claim_token = factory.LazyFunction(uuid.uuid4)
    status = DigestStatus.PENDING

    class Params:
        sent = factory.Trait(status=DigestStatus.SENT, sent_at=factory.LazyFunction(timezone.now))
