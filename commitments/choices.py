"""Controlled vocabularies of the commitments app. The stored values are stable API values."""

from django.db import models


class AgreementKind(models.TextChoices):
    BINDING_AGREEMENT = "binding_agreement", "Legally binding agreement"
    POLITICAL_PARTNERSHIP = "political_partnership", "Political partnership"
    MEMORANDUM = "memorandum", "Memorandum or arrangement"
    JOINT_STATEMENT = "joint_statement", "Joint statement"


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    ONGOING = "ongoing", "Ongoing"
    ACHIEVED = "achieved", "Achieved"
    STALLED = "stalled", "Stalled"
    DISCONTINUED = "discontinued", "Discontinued"


class CommitmentState(models.TextChoices):
    """How a reader should take a commitment today; decided by ``commitments.states.commitment_state`` alone."""

    ACHIEVED = "achieved", "Achieved"
    MOVING = "moving", "Moving"
    STALLED = "stalled", "Stalled"
    STALE = "stale", "Stale"
    NOT_STARTED = "not_started", "Not started"
    DISCONTINUED = "discontinued", "Discontinued"


# Statuses that need no further news: a commitment in one of them is never "stale".
FINISHED_STATUSES = (Status.ACHIEVED, Status.DISCONTINUED)


class Strength(models.TextChoices):
    """How firmly something was promised: "will explore the possibility" is weaker than "will enhance"."""

    EXPLORE = "explore", "Explore"
    DEVELOP = "develop", "Develop"
    IMPLEMENT = "implement", "Implement"


class PolicyArea(models.TextChoices):
    MARITIME_SECURITY = "maritime_security", "Maritime security"
    CYBER = "cyber", "Cyber security"
    HYBRID_FIMI = "hybrid_fimi", "Hybrid threats and FIMI"
    SPACE = "space", "Space"
    NON_PROLIFERATION = "non_proliferation", "Non-proliferation and disarmament"
    DEFENCE = "defence", "Defence cooperation and industry"
    CRISIS_MANAGEMENT = "crisis_management", "Crisis management"
    COUNTER_TERRORISM = "counter_terrorism", "Counter-terrorism"
    ECONOMIC_SECURITY = "economic_security", "Economic security"
    TRADE = "trade", "Trade and investment"
    DIGITAL = "digital", "Digital"
    GREEN_TRANSITION = "green_transition", "Green transition and climate"
    ENERGY = "energy", "Energy"
    CONNECTIVITY = "connectivity", "Connectivity and infrastructure"
    RESEARCH = "research", "Research and innovation"
    HEALTH = "health", "Health"
    MULTILATERAL = "multilateral", "Multilateral and regional cooperation"
    PEOPLE_TO_PEOPLE = "people_to_people", "People-to-people exchanges"
    DEVELOPMENT = "development", "Development and humanitarian aid"


class UpdateKind(models.TextChoices):
    STATUS_CHANGE = "status_change", "Status update"
    REVIEW = "review", "Reviewed, unchanged"
    WITHDRAWAL = "withdrawal", "Withdrawal of an earlier entry"
    MILESTONE = "milestone", "Milestone"
    PROGRESS_SOURCE = "progress_source", "Progress source changed"


# Entries about milestones and how progress is measured: they move the commitment's progress (when it is rolled
# up from milestones) and its review date, never its status.
MILESTONE_KINDS = (UpdateKind.MILESTONE, UpdateKind.PROGRESS_SOURCE)


class ProgressSource(models.TextChoices):
    """Where a commitment's progress comes from: entered with each status update, or rolled up from milestones."""

    MANUAL = "manual", "Entered with each status update"
    MILESTONES = "milestones", "Rolled up from milestones"


class Actor(models.TextChoices):
    """Who must act on a commitment, as the wording of its paragraph says."""

    EU = "eu", "The EU"
    JAPAN = "japan", "Japan"
    BOTH = "both", "Both"


class Party(models.TextChoices):
    """One of the two parties of a joint commitment, for a status recorded per party."""

    EU = "eu", "The EU"
    JAPAN = "japan", "Japan"


# How far along each status is, for "the less advanced of the two" (a discontinued effort is the least).
ADVANCEMENT = {
    Status.DISCONTINUED: 0,
    Status.NOT_STARTED: 1,
    Status.STALLED: 2,
    Status.IN_PROGRESS: 3,
    Status.ONGOING: 4,
    Status.ACHIEVED: 5,
}


def combined_status(eu_status: str, japan_status: str) -> str | None:
    """The combined status of a joint commitment: the less advanced of the two parties' statuses; ``None`` until
    both are recorded."""
    if not eu_status or not japan_status:
        return None
    return min(eu_status, japan_status, key=lambda status: ADVANCEMENT[Status(status)])
