"""factory-boy factories for users, sources, agreements, commitments and status updates."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from commitments.choices import AgreementKind, PolicyArea, Status, Strength, UpdateKind
from commitments.models import Agreement, Commitment, Milestone, StatusUpdate
from core.models import SourceDocument
from core.roles import EDITORS, REVIEWERS


def _join_group(name: str) -> factory.PostGeneration:
    """A post-generation step that puts the new user in group ``name``.

    Traits cannot hand a plain value to a post-generation declaration (factory_boy resolves traits before the
    object exists, and the value is silently dropped), so the role traits override ``role`` with this step.
    """

    def join(user, create, extracted, **kwargs):
        if create:
            user.groups.add(Group.objects.get_or_create(name=name)[0])

    return factory.PostGeneration(join)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.eu")
    password = factory.django.Password("correct-horse-battery")

    class Params:
        editor = factory.Trait(role=_join_group(EDITORS))
        reviewer = factory.Trait(role=_join_group(REVIEWERS))
        admin = factory.Trait(is_staff=True, is_superuser=True)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """``UserFactory(role="Editors")`` or the ``editor`` / ``reviewer`` traits put the user in a group."""
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


class SourceDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceDocument
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"doc-{n}")
    title = factory.Faker("sentence", nb_words=5)
    publisher = "European Parliament"
    published_on = dt.date(2024, 1, 15)


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"AGR-{n}")
    title = factory.Faker("sentence", nb_words=6)
    kind = AgreementKind.POLITICAL_PARTNERSHIP
    signed_on = dt.date(2019, 2, 1)
    in_force_on = None
    summary = factory.Faker("paragraph")
    source_document = factory.SubFactory(SourceDocumentFactory)
    source_locator = "section 1"
    # Its dates are stated by its own source document unless a trait says otherwise.
    signed_on_basis = factory.LazyAttribute(lambda a: "stated" if a.signed_on else "")
    signed_on_source = factory.LazyAttribute(lambda a: a.source_document if a.signed_on else None)
    signed_on_locator = "section 1"
    in_force_on_basis = factory.LazyAttribute(lambda a: "stated" if a.in_force_on else "")
    in_force_on_source = factory.LazyAttribute(lambda a: a.source_document if a.in_force_on else None)

    class Params:
        assumed_signature = factory.Trait(
            signed_on_basis="assumed",
            signed_on_source=None,
            signed_on_locator="",
            signed_on_reason="placeholder: the documents give no date",
            signed_on_assumed_by="the tracker's editors",
        )


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment
        skip_postgeneration_save = True

    agreement = factory.SubFactory(AgreementFactory)
    reference = factory.Sequence(lambda n: f"TEST §{n}")
    title = factory.Faker("sentence", nb_words=7)
    description = factory.Faker("paragraph")
    area = PolicyArea.MARITIME_SECURITY
    strength = Strength.DEVELOP
    responsible_body = None
    source_document = factory.SubFactory(SourceDocumentFactory)
    source_locator = factory.LazyAttribute(lambda c: c.reference)

    class Params:
        with_body = factory.Trait(responsible_body=factory.SubFactory("dialogues.tests.factories.DialogueBodyFactory"))
        achieved = factory.Trait(
            achieved_update=factory.RelatedFactory(
                "commitments.tests.factories.StatusUpdateFactory",
                factory_related_name="commitment",
                status=Status.ACHIEVED,
                evidence_reference="Signed text",
            )
        )
        stale = factory.Trait(
            created_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=400)),
        )


class StatusUpdateFactory(factory.django.DjangoModelFactory):
    """Builds history through the service, as the application does, so version and status stay consistent."""

    class Meta:
        model = StatusUpdate

    commitment = factory.SubFactory(CommitmentFactory)
    status = Status.IN_PROGRESS
    progress = None
    note = factory.Faker("sentence")
    evidence_url = ""
    evidence_reference = ""
    evidence_date = None
    author = factory.SubFactory(UserFactory, editor=True)
    recorded_at = None
    kind = UpdateKind.STATUS_CHANGE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from commitments.services import commitment_confirm_unchanged, commitment_update_status

        commitment = kwargs.pop("commitment")
        commitment.refresh_from_db(fields=["version", "status", "progress"])
        kind = kwargs.pop("kind")
        if kind == UpdateKind.REVIEW:
            for unused in ("status", "progress"):
                kwargs.pop(unused)
            return commitment_confirm_unchanged(commitment=commitment, expected_version=commitment.version, **kwargs)
        return commitment_update_status(commitment=commitment, expected_version=commitment.version, **kwargs)


class MilestoneFactory(factory.django.DjangoModelFactory):
    """Adds a milestone through the service (one history entry, the commitment's version moves), as the app does."""

    class Meta:
        model = Milestone

    commitment = factory.SubFactory(CommitmentFactory)
    title = factory.Faker("sentence", nb_words=4)
    due_on = dt.date(2025, 6, 30)
    due_on_precision = "day"
    done_on = None
    evidence_url = ""
    evidence_reference = ""
    weight = None
    author = factory.SubFactory(UserFactory, editor=True)

    class Params:
        done = factory.Trait(done_on=dt.date(2025, 5, 1), evidence_reference="Joint press release")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from commitments.services import milestone_add

        commitment = kwargs.pop("commitment")
        commitment.refresh_from_db(fields=["version", "status", "progress", "progress_source"])
        return milestone_add(commitment=commitment, expected_version=commitment.version, **kwargs)


def commitment_edit_data(commitment, **changes) -> dict:
    """What the commitment edit form posts when an editor changes only ``changes`` (the target date left empty)."""
    return {
        "title": commitment.title,
        "description": commitment.description,
        "area": commitment.area,
        "strength": commitment.strength,
        "actor": commitment.actor,
        "responsible_body": commitment.responsible_body_id or "",
        "target_date": "",
        "made_at": commitment.made_at_id or "",
        "expected_edit_version": commitment.edit_version,
        **changes,
    }
