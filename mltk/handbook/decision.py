"""Should this be machine learning? A transparent yes/no questionnaire and its verdict.

The guide is data (:data:`QUESTIONS`) plus one function (:func:`recommend`). Each answer
adds points to one or more of four options: write rules or heuristics, buy an
off-the-shelf service, adapt a pre-trained (foundation) model by prompting, retrieval or
fine-tuning, or build (train) a machine learning model. Gates come first or last:

1. If the data may not be used for this purpose, nothing else matters: ``stop``.
2. Adapting is an option only where a pre-trained model fits the task (question
   ``pretrained_fits``); otherwise it collects no points.
3. If building or adapting scores highest but its prerequisites are missing (building:
   labelled data and a team that can own a model; adapting: a team that can own it), the
   verdict is ``not-yet``: launch the simple thing, collect the data.
4. If building or adapting wins but the value at stake does not cover its full cost
   (question ``cost_exceeds_value``, or the ranges passed to :func:`recommend`), the
   verdict is ``not-worth-it``.

Ties go to the simpler option (rules, then buying, then adapting, then building), after
Zinkevich's first rule of machine learning: do not be afraid to launch without it.

Questions added after the first release (``pretrained_fits``, ``cost_exceeds_value``) have
a default answer, so an answers mapping written for the original nine questions still
works and gets the verdict it got before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..foundation.errors import InputError
from ..foundation.ranges import Range

__all__ = ["Question", "Recommendation", "QUESTIONS", "OPTIONS", "VERDICTS", "questions",
           "recommend"]

#: The options that collect points, in tie-break order (simplest first).
OPTIONS: tuple[str, ...] = ("rules", "buy", "adapt", "ml")

#: Every verdict ``recommend`` can return, with its headline.
VERDICTS: Mapping[str, str] = MappingProxyType({
    "rules": "Start with rules or heuristics",
    "buy": "Buy or reuse an off-the-shelf service",
    "adapt": "Adapt a pre-trained model (prompting, retrieval or fine-tuning)",
    "ml": "Build a machine learning model",
    "not-yet": "Not yet: launch without ML and collect data first",
    "not-worth-it": "Not worth it: the value at stake does not cover the full cost of a model",
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
        Points each answer adds to the options in :data:`OPTIONS`.
    yes_reason, no_reason : str
        Why that answer matters; quoted in the recommendation.
    default : bool or None
        Answer assumed when the question is left out (None: an answer is required).
    """

    key: str
    text: str
    yes: Mapping[str, int] = field(default_factory=dict)
    no: Mapping[str, int] = field(default_factory=dict)
    yes_reason: str = ""
    no_reason: str = ""
    default: bool | None = None


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
        yes={"ml": 2, "adapt": 2}, no={"rules": 2},
        yes_reason="The pattern is too complex to write down by hand.",
        no_reason="An expert can write the logic down: rules are cheaper to build, test "
                  "and explain."),
    Question(
        "pattern_drifts",
        "Does the pattern change faster than people could keep rules up to date?",
        yes={"ml": 1, "adapt": 1}, no={"rules": 1},
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
        yes={"ml": 2, "adapt": 1}, no={"rules": 1, "buy": 1, "adapt": 1},
        yes_reason="Labelled data or a feedback signal exists to learn from.",
        no_reason="There is no labelled data yet: a custom model has nothing to learn from, "
                  "while a pre-trained model needs only a few hundred examples to evaluate "
                  "it."),
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
        yes={"ml": 1, "buy": 1, "adapt": 1}, no={"rules": 2},
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
        yes={"ml": 1, "adapt": 1}, no={"rules": 1, "buy": 1},
        yes_reason="The team can own a model in production.",
        no_reason="Nobody can own a model after launch: a vendor or rules carry less "
                  "upkeep."),
    Question(
        "pretrained_fits",
        "Is the input text, images, audio or code, and does a pre-trained (foundation) "
        "model already do a version of the task when prompted?",
        yes={"adapt": 3},
        yes_reason="A pre-trained model already does a version of the task: adapting it "
                   "(prompting, retrieval, fine-tuning) needs far less data and time than "
                   "training from scratch.",
        no_reason="No pre-trained model does the task (tabular data, a task of your own): "
                  "adapting one is not an option.",
        default=False),
    Question(
        "cost_exceeds_value",
        "Is the full yearly cost of a model (people, serving, monitoring, on-call) likely "
        "to exceed the value at stake?",
        yes_reason="The value at stake does not cover the full cost of building and running "
                   "a model.",
        no_reason="The value at stake covers the full cost of a model.",
        default=False),
)

_BY_KEY = {q.key: q for q in QUESTIONS}
_PREREQUISITES = {"ml": ("labelled_data", "can_maintain"), "adapt": ("can_maintain",)}


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
        A key of :data:`VERDICTS`.
    headline : str
        The verdict in words.
    scores : Mapping[str, int]
        Points collected by each option in :data:`OPTIONS`.
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
    missing = [q.key for q in QUESTIONS if q.key not in answers and q.default is None]
    if missing:
        raise InputError("answers", f"missing {missing}", "an answer to every question")
    out = {q.key: q.default for q in QUESTIONS if q.default is not None}
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise InputError(f"answers[{key!r}]", value, "True or False")
        out[key] = value
    return out


def _money_range(name: str, value: object) -> Range:
    try:
        r = Range.of(value)
    except (TypeError, ValueError) as err:
        raise InputError(name, value, "a number or a (low, mid, high) range in USD per year") from err
    for part in r:
        try:
            x = float(part)
        except (TypeError, ValueError) as err:
            raise InputError(name, value, "a number or a (low, mid, high) range in USD per "
                             "year") from err
        if x < 0:
            raise InputError(name, value, "amounts >= 0 in USD per year")
    return r


def recommend(answers: Mapping[str, bool], *, value_usd_per_year: object = None,
              cost_usd_per_year: object = None) -> Recommendation:
    """Walk the guide: score the options and apply the gates.

    Parameters
    ----------
    answers : Mapping[str, bool]
        ``True`` (yes) or ``False`` (no) for every key in :data:`QUESTIONS`; questions
        with a ``default`` may be left out.
    value_usd_per_year, cost_usd_per_year : number or (low, mid, high), optional
        Value at stake and full yearly cost of a model (people, serving, monitoring,
        on-call), in USD per year; a :class:`mltk.Range` works too. Given both, they
        answer ``cost_exceeds_value`` (yes when even the high value is below the low
        cost); ranges that overlap add a reason to build the business case.

    Returns
    -------
    Recommendation
        Verdict, headline, scores and the reasons behind the verdict.

    Raises
    ------
    InputError
        If a key is unknown or a required one missing, an answer is not a bool, or only
        one of the two money arguments is given.

    Examples
    --------
    With every answer "no" the guide recommends the simplest thing:

    >>> r = recommend({q.key: False for q in QUESTIONS})
    >>> r.verdict, dict(r.scores)
    ('rules', {'rules': 8, 'buy': 2, 'adapt': 0, 'ml': 0})

    A card-fraud model with labels (chargebacks) and a team to run it:

    >>> fraud = dict.fromkeys([q.key for q in QUESTIONS], True)
    >>> fraud.update(data_restricted=False, commodity_task=False,
    ...              exact_explanation_required=False, pretrained_fits=False,
    ...              cost_exceeds_value=False)
    >>> recommend(fraud).verdict
    'ml'

    The same model, if it would save 50k USD a year and cost 200k to 300k to run:

    >>> recommend(fraud, value_usd_per_year=50_000,
    ...           cost_usd_per_year=(200_000, 250_000, 300_000)).verdict
    'not-worth-it'
    """
    a = _check(answers)
    money_note = None
    if (value_usd_per_year is None) != (cost_usd_per_year is None):
        raise InputError("cost_usd_per_year" if cost_usd_per_year is None else "value_usd_per_year",
                         None, "both value_usd_per_year and cost_usd_per_year, or neither")
    if value_usd_per_year is not None:
        value = _money_range("value_usd_per_year", value_usd_per_year)
        cost = _money_range("cost_usd_per_year", cost_usd_per_year)
        a["cost_exceeds_value"] = bool(float(value.high) < float(cost.low))
        if float(value.low) > float(cost.high):
            money_note = "Even the low estimate of the value at stake exceeds the high estimate " \
                         "of the full cost."
        elif not a["cost_exceeds_value"]:
            money_note = "The ranges of value and full cost overlap: build the business case " \
                         "(NPV and payback) before committing."
    if a["data_restricted"]:
        return Recommendation("stop", VERDICTS["stop"], MappingProxyType(dict.fromkeys(OPTIONS, 0)),
                              (_BY_KEY["data_restricted"].yes_reason,))
    scores = dict.fromkeys(OPTIONS, 0)
    for q in QUESTIONS:
        for option, points in (q.yes if a[q.key] else q.no).items():
            scores[option] += points
    if not a["pretrained_fits"]:
        scores["adapt"] = 0
    best = max(scores.values())
    winner = next(o for o in OPTIONS if scores[o] == best)

    def supports(option: str) -> tuple[str, ...]:
        return tuple(q.yes_reason if a[q.key] else q.no_reason for q in QUESTIONS
                     if (q.yes if a[q.key] else q.no).get(option, 0) > 0)

    frozen = MappingProxyType(scores)
    extra = (money_note,) if money_note and winner in _PREREQUISITES else ()
    if winner in _PREREQUISITES:
        missing = [k for k in _PREREQUISITES[winner] if not a[k]]
        if missing:
            reasons = supports(winner) + tuple(_BY_KEY[k].no_reason for k in missing)
            return Recommendation("not-yet", VERDICTS["not-yet"], frozen, reasons)
        if a["cost_exceeds_value"]:
            return Recommendation("not-worth-it", VERDICTS["not-worth-it"], frozen,
                                  (_BY_KEY["cost_exceeds_value"].yes_reason,))
    return Recommendation(winner, VERDICTS[winner], frozen, supports(winner) + extra)
