"""What the therapist reads about a safety flag, written once for the dashboard and the intake
review: the item-9 wording with the answer the client gave, where a flag was raised from, the
post-dosing answers behind a post-dosing flag, and the title of a flag that no intake rule
matches.

The contraindication rules' own titles stay in portal/intake/rules.py; severities and their
labels are in portal/core/vocabulary.py. Pure functions: a flag in, words out.
"""
from portal.care.postdosing import LOW_MOOD
from portal.core.measures import ITEM9_MEANING  # the words live in core (the chart uses them)
from portal.core.vocabulary import READINESS_CONCERNS, SEVERITY_LABELS, FlagKind

ITEM9 = "PHQ-9 item 9 above 0"
ITEM9_BADGE = "Item 9"
SOURCES = {"intake": "the intake questionnaire", "checkin": "a check-in",
           "post_dosing": "the check-in after a dosing session",
           "readiness": "the dosing-day readiness questions"}
# The dashboard's one-line form says "the intake" where the review says "the intake questionnaire".
SHORT_SOURCES = {**SOURCES, "intake": "the intake"}
# The side effects a client may tick after a dosing session, as the care team reads them.
SIDE_EFFECTS = {"nausea": "nausea", "headache": "headache", "dissociation": "lingering dissociation",
                "other": "something else"}
# The reasons a post-dosing check-in raised a flag (its code joins them with "+").
POST_DOSING_REASONS = {"item9": ITEM9, "dissociation": SIDE_EFFECTS["dissociation"],
                       "worry_text": "wrote about a worry",
                       "low_mood": f"mood {LOW_MOOD}/10 or lower"}


# The kinds whose dashboard title never quotes the client's answer (see dashboard_title): the
# dashboard does not decrypt the answer of these.
UNQUOTED_KINDS = (FlagKind.POST_DOSING, FlagKind.READINESS, FlagKind.CSSRS)


def code_title(code):
    """A flag's code in words ("bp_high" → "Bp high"): the title of a flag no rule describes."""
    return code.replace("_", " ").capitalize()


def source_words(source, short=False):
    """Where a flag was raised from, as the end of a sentence ("a check-in")."""
    words = SHORT_SOURCES if short else SOURCES
    return words.get(source, f"the {source}" if short else source)


def readiness_code(appointment_id, reasons):
    """The code of a readiness concern: the dosing appointment's id and the reasons
    ("42:ride+unanswered"), so that the record and the dashboard find the flag of a session."""
    return f"{appointment_id}:" + "+".join(reasons)


def readiness_parts(code):
    """(appointment id, [reasons]) of a readiness concern's code; (None, []) if malformed."""
    head, _, tail = code.partition(":")
    return (int(head), [r for r in tail.split("+") if r]) if head.isdigit() else (None, [])


def readiness_title(flag):
    """A readiness concern in words: "Before the dosing session: no ride home arranged"."""
    reasons = readiness_parts(flag.code)[1]
    return "Before the dosing session: " + (
        ", ".join(READINESS_CONCERNS.get(r, r) for r in reasons) or "a readiness concern")


def answer_words(flag):
    """The answer that raised the flag, quoted ("“Nearly every day”"), or "" when not kept."""
    answer = getattr(flag, "answer", None)
    return f"“{answer}”" if answer else ""


CSSRS = "C-SSRS screener"


def cssrs_title(flag):
    """A C-SSRS flag in words: "C-SSRS screener: high risk"."""
    return f"{CSSRS}: {flag.code.removeprefix('cssrs_')} risk"


def review_title(flag):
    """(title, detail) of an open flag on the intake review when no rule of the answers matches
    it: item 9 in full with the answer given, any other flag by its code."""
    if flag.kind == FlagKind.ITEM9:
        given = answer_words(flag) or "above 0"
        return f"{ITEM9}: {ITEM9_MEANING}", f"Answered {given} in {source_words(flag.source)}."
    if flag.kind == FlagKind.READINESS:
        return readiness_title(flag), f"Raised from {source_words(flag.source)}."
    if flag.kind == FlagKind.CSSRS:
        return cssrs_title(flag), f"Answered in {source_words(flag.source)}."
    given = f" Answer: {answer_words(flag)}." if answer_words(flag) else ""
    return code_title(flag.code), f"Raised from {source_words(flag.source)}.{given}"


def dashboard_title(flag):
    """(badge, title) of an urgent flag in the dashboard's one-line form."""
    if flag.kind == FlagKind.ITEM9:
        given = f", answered {answer_words(flag)}" if answer_words(flag) else ""
        return ITEM9_BADGE, f"{ITEM9} ({ITEM9_MEANING}){given}"
    badge = SEVERITY_LABELS.get(flag.severity, flag.severity)
    if flag.kind == FlagKind.POST_DOSING:
        reasons = ", ".join(POST_DOSING_REASONS.get(code, code) for code in flag.code.split("+"))
        return badge, f"Worrying answers after a dosing session: {reasons}"
    if flag.kind == FlagKind.READINESS:
        return badge, readiness_title(flag)
    if flag.kind == FlagKind.CSSRS:
        return badge, cssrs_title(flag)
    given = f", answered {answer_words(flag)}" if answer_words(flag) else ""
    return badge, f"{code_title(flag.code)}{given}"
