"""Permitting vocabularies: the dashboard's statuses, our derived states, the event lookup.

Statuses are the Federal Permitting Dashboard's words so that imported values stay as they
are. Action types and pause reasons are open lists: stored as text, looked up here.
"""

from __future__ import annotations

from enum import StrEnum


class ProjectStatus(StrEnum):
    """Project status as the Permitting Dashboard publishes it."""

    PLANNED = "Planned"
    IN_PROGRESS = "In Progress"
    PAUSED = "Paused"
    COMPLETE = "Complete"
    CANCELLED = "Cancelled"
    CLASS_OF_ACTION_CHANGED = "Class of Action Changed"


class ActionStatus(StrEnum):
    """Action status: the project statuses plus one of its own."""

    PLANNED = "Planned"
    IN_PROGRESS = "In Progress"
    PAUSED = "Paused"
    COMPLETE = "Complete"
    CANCELLED = "Cancelled"
    CLASS_OF_ACTION_CHANGED = "Class of Action Changed"
    NO_LONGER_TRACKED = "No Longer Required to be Tracked"


class DatePrecision(StrEnum):
    """How precisely a source gives a date; the stored day is the period's last day."""

    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class MilestoneState(StrEnum):
    """A milestone's state on a given date (derived, never stored)."""

    COMPLETE = "complete"
    NOT_APPLICABLE = "not applicable"
    PAUSED = "paused"
    OVERDUE = "overdue"
    DUE_SOON = "due within 30 days"
    SCHEDULED = "scheduled"
    UNSCHEDULED = "unscheduled"


class ScheduleHealth(StrEnum):
    """A project's or site's schedule health on a given date (the map's third colouring)."""

    OVERDUE = "overdue"
    PAUSED = "paused"
    DUE_SOON = "due soon"
    UNSCHEDULED = "no target date"  # open work with no published date
    ON_TRACK = "on track"
    COMPLETE = "complete"
    NO_SCHEDULE = "no permitting record"


class FindingStatus(StrEnum):
    """How an action (or a project) stands against one rule-set clock on a date."""

    MET = "met"
    MISSED = "missed"
    BREACH_PAST_DUE = "breach (past due)"
    BREACH_PROJECTED = "breach projected"
    ON_COURSE = "on course"
    NO_TARGET = "no target"
    NO_START_EVENT = "no start event"


# Findings that break their clock: alerts and reports count them, the timeline shows them red.
BREACH_STATUSES = (FindingStatus.MISSED, FindingStatus.BREACH_PROJECTED,
                   FindingStatus.BREACH_PAST_DUE)
# Findings within their clock.
WITHIN_CLOCK_STATUSES = (FindingStatus.MET, FindingStatus.ON_COURSE)


class ExtensionOutcome(StrEnum):
    """Review outcome of a target-date change requested inside the lock-out."""

    APPROVED = "Approved"
    REJECTED = "Rejected"


class ChangeKind(StrEnum):
    """How a change entered the history."""

    EDIT = "edit"
    IMPORT = "import"
    SOURCE = "source"  # a dated change reported by a public source (bundled data)
    EXTENSION_APPROVED = "extension approved"
    EXTENSION_REJECTED = "extension rejected"


class MilestoneEvent(StrEnum):
    """What a milestone marks, so rule sets can name start and end events."""

    APPLICATION_COMPLETE = "application complete"
    REVIEW_DETERMINED = "review determined"
    NOTICE_OF_INTENT = "notice of intent"
    SCOPING = "scoping"
    DRAFT_DOCUMENT = "draft document"
    FINAL_DOCUMENT = "final document"
    DECISION = "decision"
    PERMIT_ISSUED = "permit issued"
    CONSULTATION_COMPLETE = "consultation complete"
    LITIGATION = "litigation"
    FINANCING = "financing"
    MEETING_REQUESTED = "meeting requested"
    MEETING_HELD = "meeting held"
    # Japanese procedures (EIA Act, Mining Act): public notice and inspection, opinions, rights
    PUBLIC_NOTICE = "public notice"  # 公告: the document goes on public inspection (縦覧)
    INSPECTION_ENDED = "inspection ended"
    COMMENT_PERIOD_CLOSED = "comment period closed"
    COMMENTS_FORWARDED = "comments forwarded"  # summary of public opinions sent on
    OPINION_ISSUED = "opinion issued"  # a governor's or minister's written opinion
    RIGHT_REGISTERED = "right registered"  # 登録 of a mining or exploration right
    PLAN_APPROVED = "plan approved"  # 施業案 approved (or, for 試掘権, notified)
    OPERATIONS_STARTED = "operations started"  # 事業着手
    TERM_ENDS = "term ends"  # 存続期間満了
    OTHER = "other"


# Action types the dashboard uses for critical-mineral projects (open list: others stay text).
KNOWN_ACTION_TYPES = (
    "Environmental Impact Statement (EIS)",
    "Environmental Assessment (EA)",
    "Section 404 Clean Water Act",
    "ESA Consultation",
    "Right-of-Way Authorization",
    "Section 106 National Historic Preservation Act",
    "Plan of Operations approval",
    "Land exchange",
    "Loan or grant decision (NEPA)",
    "Mining right (Japan, Mining Act)",
    "Environmental impact assessment (Japan, EIA Act)",
    "EIA class-2 screening (第二種事業の判定)",
    "EIA planning-stage consideration document (配慮書)",
    "EIA scoping document (方法書)",
    "EIA draft statement (準備書)",
    "EIA final statement (評価書)",
    "EIA post-project report (報告書)",
    "Exploration right (試掘権)",
    "Mining right (採掘権)",
    "State permit",
)

# The dashboard's reasons for a target-date change (free text is also accepted).
DATE_CHANGE_REASONS = (
    "Project pause",
    "Project sponsor factors",
    "Additional information requested from sponsor",
    "Change in scope of project",
    "Litigation or court order",
    "Additional analysis required",
    "Coordination with other agencies",
    "Public comment period extended",
    "Correction of data entry error",
    "Schedule set by statute or policy",
)

# Pause reasons (the dashboard's full list was not published in the copy seen; open list).
PAUSE_REASONS = (
    "Project Sponsor Factors",
    "Litigation",
    "Pending information from sponsor",
    "Other",
)

# Keywords that name a milestone's event, tried in order on "type name" in lower case.
_EVENT_KEYWORDS: tuple[tuple[str, MilestoneEvent], ...] = (
    ("notice of intent", MilestoneEvent.NOTICE_OF_INTENT),
    ("noi", MilestoneEvent.NOTICE_OF_INTENT),
    ("application complete", MilestoneEvent.APPLICATION_COMPLETE),
    ("complete application", MilestoneEvent.APPLICATION_COMPLETE),
    ("deemed complete", MilestoneEvent.APPLICATION_COMPLETE),
    ("determination that", MilestoneEvent.REVIEW_DETERMINED),
    ("class of action", MilestoneEvent.REVIEW_DETERMINED),
    ("scoping", MilestoneEvent.SCOPING),
    ("draft", MilestoneEvent.DRAFT_DOCUMENT),
    ("final eis", MilestoneEvent.FINAL_DOCUMENT),
    ("final environmental", MilestoneEvent.FINAL_DOCUMENT),
    ("final ea", MilestoneEvent.FINAL_DOCUMENT),
    ("record of decision", MilestoneEvent.DECISION),
    ("rod", MilestoneEvent.DECISION),
    ("decision", MilestoneEvent.DECISION),
    ("fonsi", MilestoneEvent.DECISION),
    ("issuance", MilestoneEvent.PERMIT_ISSUED),
    ("permit issued", MilestoneEvent.PERMIT_ISSUED),
    ("biological opinion", MilestoneEvent.CONSULTATION_COMPLETE),
    ("consultation", MilestoneEvent.CONSULTATION_COMPLETE),
    ("court", MilestoneEvent.LITIGATION),
    ("financing", MilestoneEvent.FINANCING),
    ("meeting request", MilestoneEvent.MEETING_REQUESTED),
    ("meeting", MilestoneEvent.MEETING_HELD),
)


def milestone_event(milestone_type: str, name: str = "") -> MilestoneEvent:
    """The event a milestone marks, from its type if that is an event code, else keywords.

    >>> milestone_event("Record of Decision (ROD) signed").value
    'decision'
    >>> milestone_event("", "Publication of NOI in Federal Register").value
    'notice of intent'
    >>> milestone_event("notice of intent").value
    'notice of intent'
    >>> milestone_event("", "").value
    'other'
    """
    text = milestone_type.strip().lower()
    if text in _EVENTS_BY_VALUE:
        return _EVENTS_BY_VALUE[text]
    words = f" {text} {name.strip().lower()} ".replace("(", " ").replace(")", " ")
    for keyword, event in _EVENT_KEYWORDS:
        if f" {keyword} " in words or (len(keyword) > 4 and keyword in words):
            return event
    return MilestoneEvent.OTHER


_EVENTS_BY_VALUE = {e.value: e for e in MilestoneEvent}
