"""Should this be machine learning? A transparent yes/no questionnaire and its verdict.

The guide is data (:data:`QUESTIONS`) plus one function (:func:`recommend`). Each answer
adds points to one or more of three options: build a machine learning model, write rules
or heuristics, or buy an off-the-shelf service. Two gates come first or last:

1. If the data may not be used for this purpose, nothing else matters: ``stop``.
2. If machine learning scores highest but its prerequisites (labelled data, a team that
   can own a model) are missing, the verdict is ``not-yet``: launch the simple thing,
   collect the data.

Ties go to the simpler option (rules, then buying, then building), after Zinkevich's
first rule of machine learning: do not be afraid to launch without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..foundation.errors import InputError

__all__ = ["Question", "Recommendation", "QUESTIONS", "OPTIONS", "VERDICTS", "questions",
           "recommend"]

#: The three options that collect points, in tie-break order (simplest first).
OPTIONS: tuple[str, ...] = ("rules", "buy", "ml")

#: Every verdict ``recommend`` can return, with its headline.
VERDICTS: Mapping[str, str] = MappingProxyType({
    "rules": "Start with rules or heuristics",
    "buy": "Buy or reuse an off-the-shelf service",
    "ml": "Build a machine learning model",
    "not-yet": "Not yet: launch without ML and collect data first",
    "stop": "Stop: settle the right to use the data first",
})


@dataclass(frozen=True)
class Question:
    """One yes/no question of the guide.

    Attributes
    ----------
    key : str
        Identifier used in the answers mapping.
    text : str
        The question as the reader sees it.
    yes, no : Mapping[str, int]
        Points each answer adds to the options ``"rules"``, ``"buy"`` and ``"ml"``.
    yes_reason, no_reason : str
        Why that answer matters; quoted in the recommendation.
    """

    key: str
    text: str
    yes: Mapping[str, int] = field(default_factory=dict)
    no: Mapping[str, int] = field(default_factory=dict)
    yes_reason: str = ""
    no_reason: str = ""


QUESTIONS: tuple[Question, ...] = (
    Question(
        "data_restricted",
        "Do law, contract or missing consent forbid using the data for this purpose?",
        yes_reason="The data may not be used for this purpose; no model or rule built on "
                   "it can ship until that is settled.",
        no_reason="The data may be used for this purpose."),
    Question(
        "rules_hard_to_write",
        "Would hand-written rules have to be numerous, brittle or constantly rewritten?",
        yes={"ml": 2}, no={"rules": 2},
        yes_reason="The pattern is too complex to write down by hand.",
        no_reason="An expert can write the logic down: rules are cheaper to build, test "
                  "and explain."),
    Question(
        "pattern_drifts",
        "Does the pattern change faster than people could keep rules up to date?",
        yes={"ml": 1}, no={"rules": 1},
        yes_reason="The pattern drifts: retraining on fresh data is cheaper than rewriting "
                   "rules.",
        no_reason="The pattern is stable, so rules will not rot quickly."),
    Question(
        "high_volume",
        "Is the decision made at high volume (thousands a day or more) or personalised "
        "per user?",
        yes={"ml": 1, "buy": 1}, no={"rules": 1},
        yes_reason="High volume or personalisation makes automation pay.",
        no_reason="Low volume: people or simple rules can keep up."),
    Question(
        "labelled_data",
        "Do you have, or can you afford, enough labelled examples or a reliable feedback "
        "signal?",
        yes={"ml": 2}, no={"rules": 1, "buy": 1},
        yes_reason="Labelled data or a feedback signal exists to learn from.",
        no_reason="There is no labelled data yet: a custom model has nothing to learn from."),
    Question(
        "commodity_task",
        "Is it a commodity task (OCR, speech to text, translation, generic image or text "
        "tagging) that vendors already sell?",
        yes={"buy": 3},
        yes_reason="Vendors already solve this task with more data than you have.",
        no_reason="The task is specific to your business, so no vendor sells it ready-made."),
    Question(
        "errors_tolerable",
        "Can users tolerate, notice and recover from a share of wrong predictions?",
        yes={"ml": 1, "buy": 1}, no={"rules": 2},
        yes_reason="Occasional errors are tolerable and recoverable.",
        no_reason="Errors are not tolerable: keep deterministic logic or a person in the "
                  "loop."),
    Question(
        "exact_explanation_required",
        "Must every individual decision be explained exactly, for example by regulation?",
        yes={"rules": 2},
        yes_reason="Every decision must be explained exactly; rules (or a small "
                   "interpretable model) make that easy.",
        no_reason="Decisions need not be explained one by one."),
    Question(
        "can_maintain",
        "Can the team monitor, retrain and own a model for its whole life?",
        yes={"ml": 1}, no={"rules": 1, "buy": 1},
        yes_reason="The team can own a model in production.",
        no_reason="Nobody can own a model after launch: a vendor or rules carry less "
                  "upkeep."),
)

_BY_KEY = {q.key: q for q in QUESTIONS}
_ML_PREREQUISITES = ("labelled_data", "can_maintain")


def questions() -> tuple[Question, ...]:
    """The questions of the guide, in the order to ask them.

    Examples
    --------
    >>> [q.key for q in questions()][:3]
    ['data_restricted', 'rules_hard_to_write', 'pattern_drifts']
    """
    return QUESTIONS


@dataclass(frozen=True)
class Recommendation:
    """The verdict of :func:`recommend`.

    Attributes
    ----------
    verdict : str
        One of ``"rules"``, ``"buy"``, ``"ml"``, ``"not-yet"``, ``"stop"``.
    headline : str
        The verdict in words.
    scores : Mapping[str, int]
        Points collected by ``"rules"``, ``"buy"`` and ``"ml"``.
    reasons : tuple of str
        The answers that support the verdict, in question order.
    """

    verdict: str
    headline: str
    scores: Mapping[str, int]
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        lines = [self.headline + "."] + [f"- {r}" for r in self.reasons]
        return "\n".join(lines)


def _check(answers: Mapping[str, bool]) -> dict[str, bool]:
    if not isinstance(answers, Mapping):
        raise InputError("answers", answers, "a mapping from question key to True/False")
    unknown = sorted(set(answers) - set(_BY_KEY))
    if unknown:
        raise InputError("answers", unknown[0], f"a question key, one of {sorted(_BY_KEY)}")
    missing = [q.key for q in QUESTIONS if q.key not in answers]
    if missing:
        raise InputError("answers", f"missing {missing}", "an answer to every question")
    out = {}
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise InputError(f"answers[{key!r}]", value, "True or False")
        out[key] = value
    return out


def recommend(answers: Mapping[str, bool]) -> Recommendation:
    """Walk the guide: score the three options and apply the two gates.

    Parameters
    ----------
    answers : Mapping[str, bool]
        ``True`` (yes) or ``False`` (no) for every key in :data:`QUESTIONS`.

    Returns
    -------
    Recommendation
        Verdict, headline, scores and the reasons behind the verdict.

    Raises
    ------
    InputError
        If a key is unknown or missing, or an answer is not a bool.

    Examples
    --------
    With every answer "no" the guide recommends the simplest thing:

    >>> r = recommend({q.key: False for q in QUESTIONS})
    >>> r.verdict, dict(r.scores)
    ('rules', {'rules': 8, 'buy': 2, 'ml': 0})

    A card-fraud model with labels (chargebacks) and a team to run it:

    >>> fraud = dict.fromkeys([q.key for q in QUESTIONS], True)
    >>> fraud.update(data_restricted=False, commodity_task=False,
    ...              exact_explanation_required=False)
    >>> recommend(fraud).verdict
    'ml'
    """
    a = _check(answers)
    if a["data_restricted"]:
        return Recommendation("stop", VERDICTS["stop"], MappingProxyType(dict.fromkeys(OPTIONS, 0)),
                              (_BY_KEY["data_restricted"].yes_reason,))
    scores = dict.fromkeys(OPTIONS, 0)
    for q in QUESTIONS:
        for option, points in (q.yes if a[q.key] else q.no).items():
            scores[option] += points
    best = max(scores.values())
    winner = next(o for o in OPTIONS if scores[o] == best)

    def supports(option: str) -> tuple[str, ...]:
        return tuple(q.yes_reason if a[q.key] else q.no_reason for q in QUESTIONS
                     if (q.yes if a[q.key] else q.no).get(option, 0) > 0)

    if winner == "ml":
        missing = [k for k in _ML_PREREQUISITES if not a[k]]
        if missing:
            reasons = supports("ml") + tuple(_BY_KEY[k].no_reason for k in missing)
            return Recommendation("not-yet", VERDICTS["not-yet"], MappingProxyType(scores),
                                  reasons)
    return Recommendation(winner, VERDICTS[winner], MappingProxyType(scores), supports(winner))
