"""Publishing the yearly performance review (年度绩效考评): the city admin publishes a year's evaluation once
the year is over, and it is frozen as published.

Until then every view shows the live evaluation (``app.stats.evaluation``), provisional. Publishing stores
each venue's score, figure and points per indicator, rank among the city's venues and the weights used
(``EvaluationPublication`` and its rows), records who published it and when, and emails each venue's
managers their result. From then on the views and downloads show the published figures, whatever late
uploads from offline gates, corrections or a rebuild do to the statistics. When the live figures come to
differ, the city admin is told and may publish a correction: a new version of the year, mailed again to the
venues whose result it changes. Every version is kept; the latest is the one shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import LazyString, force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.core.errors import DomainError, Forbidden
from app.core.i18n import localized
from app.core.time import utcnow
from app.extensions import db
from app.notifications.services import queue_message, recipient_locale, site_url
from app.stats import evaluation
from app.stats.charts import figure
from app.stats.evaluation import INDICATORS
from app.stats.models import EvaluationPublication, PublishedPoints, PublishedResult, PublishedWeight
from app.venues.models import Venue


def can_publish(user) -> bool:
    """Only the city admin publishes the review, as only they set its weights."""
    return evaluation.can_evaluate(user)


# --- the published versions ---------------------------------------------------------------------------

def latest(year: int) -> EvaluationPublication | None:
    """The version of ``year`` that is shown: its latest, or None while it is not published."""
    return db.session.scalar(select(EvaluationPublication).where(EvaluationPublication.year == year)
                             .order_by(EvaluationPublication.version.desc()).limit(1))


def versions(year: int) -> list[EvaluationPublication]:
    """Every published version of ``year``, the latest first."""
    return list(db.session.scalars(select(EvaluationPublication).where(EvaluationPublication.year == year)
                                   .options(selectinload(EvaluationPublication.published_by))
                                   .order_by(EvaluationPublication.version.desc())))


def version_of(year: int, number: int) -> EvaluationPublication | None:
    return db.session.scalar(select(EvaluationPublication).where(EvaluationPublication.year == year,
                                                                 EvaluationPublication.version == number))


def first_published_at(year: int):
    return db.session.scalar(select(func.min(EvaluationPublication.published_at))
                             .where(EvaluationPublication.year == year))


def published_table(publication: EvaluationPublication, district_code: str | None = None,
                    venue_id: int | None = None) -> dict:
    """A published version as an evaluation table (the shape ``evaluation.evaluation`` gives, plus each
    row's ``rank`` and the ``publication``): of one district (the district each venue's year counted for
    when it was published), or one venue, or the whole city; by rank. Each row is ``named`` as published
    (its result's ``name_zh``/``name_en``), whatever the venue is called now."""
    query = (select(PublishedResult).where(PublishedResult.publication_id == publication.id)
             .options(selectinload(PublishedResult.points), selectinload(PublishedResult.venue),
                      selectinload(PublishedResult.district))
             .order_by(PublishedResult.rank, PublishedResult.name_zh))
    if district_code is not None:
        query = query.where(PublishedResult.district_code == district_code)
    if venue_id is not None:
        query = query.where(PublishedResult.venue_id == venue_id)
    weights = {w.indicator: float(w.weight) for w in publication.weights}
    rows = [{"venue": r.venue, "named": r, "district": r.district, "score": r.score, "rank": r.rank,
             "figures": {p.indicator: p.value for p in r.points}, "points": {p.indicator: p.points for p in r.points}}
            for r in db.session.scalars(query)]
    ranked = db.session.scalar(select(func.count(PublishedResult.id))
                               .where(PublishedResult.publication_id == publication.id))
    return {"year": publication.year, "weights": weights, "applied": None, "rows": rows,
            "indicators": tuple(i for i in INDICATORS if i.key in weights), "partial": False, "over": True,
            "publication": publication, "ranked": ranked,
            "first_published_at": first_published_at(publication.year) if publication.version > 1 else None}


def shown_evaluation(year: int, district_code: str | None = None) -> dict:
    """What the views and downloads show of ``year``: its latest published version once there is one,
    else the live evaluation (``publication`` None: provisional)."""
    publication = latest(year)
    if publication is None:
        return {**evaluation.evaluation(year, district_code), "publication": None}
    return published_table(publication, district_code=district_code)


def shown_venue_evaluation(venue: Venue, year: int) -> dict:
    """``venue``'s evaluation of ``year`` as shown to its manager: published, or live while it is not;
    ``row`` is None when the venue is not evaluated for that year."""
    publication = latest(year)
    if publication is None:
        return {**evaluation.venue_evaluation(venue, year), "publication": None}
    table = published_table(publication, venue_id=venue.id)
    return {**table, "venue": venue, "row": table["rows"][0] if table["rows"] else None}


# --- published against live -----------------------------------------------------------------------

@dataclass(frozen=True)
class Drift:
    """How the live evaluation differs from a published version: the venues whose score, figures or
    points differ (or that are evaluated in one and not the other), and whether the weights differ."""

    venues: frozenset[int]
    weights: bool

    def __bool__(self) -> bool:
        return bool(self.venues) or self.weights


def _result(score, figures: dict, points: dict) -> tuple:
    """A venue's result as compared between versions and with the live figures."""
    return Decimal(score), tuple(sorted((key, int(figures[key]), int(points[key])) for key in figures))


def _frozen(publication: EvaluationPublication) -> dict[int, tuple[tuple, int]]:
    """Each venue's ``(_result, rank)`` in ``publication``, read in two queries."""
    results = db.session.scalars(select(PublishedResult).where(PublishedResult.publication_id == publication.id)
                                 .options(selectinload(PublishedResult.points)))
    return {r.venue_id: (_result(r.score, {p.indicator: p.value for p in r.points},
                                 {p.indicator: p.points for p in r.points}), r.rank) for r in results}


def drift(publication: EvaluationPublication, live: dict) -> Drift:
    """How ``live`` (``evaluation.evaluation(year)``, the whole city's) differs from ``publication``."""
    published = {venue_id: result for venue_id, (result, _rank) in _frozen(publication).items()}
    now = {row["venue"].id: _result(row["score"], row["figures"], row["points"]) for row in live["rows"]}
    changed = frozenset(v for v in published.keys() | now.keys() if published.get(v) != now.get(v))
    weights = {w.indicator: Decimal(w.weight) for w in publication.weights} != {
        key: Decimal(str(value)).quantize(Decimal("0.1")) for key, value in live["weights"].items()}
    return Drift(changed, weights)


def ranks(rows) -> dict[int, int]:
    """Each venue's rank by score among ``rows``, tied scores sharing one (1, 2, 2, 4)."""
    scores = sorted((row["score"] for row in rows), reverse=True)
    first = {}
    for position, score in enumerate(scores, start=1):
        first.setdefault(score, position)
    return {row["venue"].id: first[row["score"]] for row in rows}


@dataclass(frozen=True)
class Review:
    """The city admin's view of a year's review: the ``table`` shown (the latest version, else the live
    evaluation), the published ``versions`` (latest first), how the live figures now differ from the
    latest (None while unpublished), and whether there is something to publish now."""

    table: dict
    versions: list
    drift: Drift | None
    publishable: bool


def review(year: int) -> Review:
    live = evaluation.evaluation(year)
    published = versions(year)
    if not published:
        return Review({**live, "publication": None}, [], None, publish_refusal(year) is None and bool(live["rows"]))
    changes = drift(published[0], live)
    return Review(published_table(published[0]), published, changes, bool(changes))


# --- publishing ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preview:
    """What publishing ``year`` now would publish: the live evaluation of the city, as ``version``;
    a correction of ``previous`` (with its ``drift``) when the year is published already."""

    year: int
    table: dict
    version: int
    previous: EvaluationPublication | None
    drift: Drift | None


def publish_refusal(year: int) -> DomainError | None:
    """Why ``year`` cannot be published whatever its figures: it is not over (its review is of a whole year)."""
    if not evaluation.is_over(year):
        day = LazyString(lambda: format_date(date(year + 1, 1, 1), "medium"))
        return DomainError("year_not_over", _l("%(year)s is not over yet: its review can be published from %(day)s.",
                                               year=year, day=day), status=409)
    return None


def preview(year: int) -> Preview:
    """What publishing ``year`` would publish, for the confirmation page. Raises DomainError when there is
    nothing to publish: the year is not over, no venue was on the register, or nothing changed since the
    latest version."""
    refusal = publish_refusal(year)
    if refusal is not None:
        raise refusal
    table = evaluation.evaluation(year)
    if not table["rows"]:
        raise DomainError("nothing_to_publish", _l("No venue was on the register in %(year)s: there is nothing to "
                                                   "publish.", year=year), status=409)
    previous = latest(year)
    changes = drift(previous, table) if previous is not None else None
    if previous is not None and not changes:
        raise DomainError("unchanged", _l("Nothing has changed since version %(version)s was published: there is "
                                          "no correction to publish.", version=previous.version), status=409)
    return Preview(year, table, previous.version + 1 if previous else 1, previous, changes)


def publish_evaluation(admin, year: int, version: int) -> tuple[EvaluationPublication, int]:
    """Publish ``year``'s live evaluation as ``version`` (the one the confirmation page showed: another
    version published since is refused, so two clicks or two admins publish once) and queue each venue's
    result to its managers, a correction's only to the venues whose result it changes. Returns the
    publication and how many venues are told."""
    if not can_publish(admin):
        raise Forbidden(_l("Only the city admin publishes the evaluation."))
    previous = latest(year)
    if version != (previous.version + 1 if previous else 1):
        raise _out_of_date(year, previous.version if previous else None)
    shown = preview(year)
    rank_of = ranks(shown.table["rows"])
    publication = EvaluationPublication(
        year=year, version=version, published_at=utcnow(), published_by_id=admin.id,
        weights=[PublishedWeight(indicator=key, weight=Decimal(str(weight)).quantize(Decimal("0.1")))
                 for key, weight in shown.table["weights"].items()],
        results=[PublishedResult(venue_id=row["venue"].id, district_code=row["district"].code if row["district"] else None,
                                 name_zh=row["venue"].name_zh, name_en=row["venue"].name_en or "",
                                 score=row["score"], rank=rank_of[row["venue"].id],
                                 points=[PublishedPoints(indicator=key, value=value, points=row["points"][key])
                                         for key, value in row["figures"].items()])
                 for row in shown.table["rows"]])
    try:
        with db.session.begin_nested():
            db.session.add(publication)
            db.session.flush()
    except IntegrityError:  # the same version, published by someone else at this very moment
        raise _out_of_date(year, version) from None
    told = _tell_managers(publication, shown.table, shown.previous)
    return publication, told


def _out_of_date(year: int, published: int | None) -> DomainError:
    """The confirmation page was not of the version publishing would make now (``published`` is the latest)."""
    if published is None:
        return DomainError("out_of_date", _l("The page you published from was out of date: look at what would be "
                                             "published now, then publish."), status=409)
    return DomainError("published_meanwhile", _l(
        "%(year)s was published meanwhile (version %(version)s): look at what is published now before publishing "
        "again.", year=year, version=published), status=409)


def _tell_managers(publication: EvaluationPublication, table: dict, previous: EvaluationPublication | None) -> int:
    """Queue each venue's result to its active managers, in their language; a correction only to the
    venues whose result (figures, points, score or rank) it changes, and to those it no longer holds.
    Returns how many venues are told (those with a manager)."""
    from app.accounts.managers import active_venue_managers  # it imports the venues' services, which import ours

    before = _frozen(previous) if previous is not None else {}
    venues = {row["venue"].id: row["venue"] for row in table["rows"]}
    told = _tell_dropped(publication, previous, before.keys() - venues.keys()) if previous is not None else 0
    for result in publication.results:
        figures = {p.indicator: p.value for p in result.points}
        points = {p.indicator: p.points for p in result.points}
        if previous is not None and before.get(result.venue_id) == (_result(result.score, figures, points),
                                                                     result.rank):
            continue
        managers = active_venue_managers(result.venue_id)
        told += bool(managers)
        for manager in managers:
            subject, body = _result_email(publication, result, manager, len(venues))
            queue_message(kind="evaluation_corrected" if previous is not None else "evaluation_published",
                          recipient=manager.email, user=manager, subject=subject, body=body)
    return told


def _tell_dropped(publication: EvaluationPublication, previous: EvaluationPublication, dropped) -> int:
    """Tell the managers of each ``dropped`` venue (in ``previous``, not in the correction ``publication``)
    that it no longer appears in the review, and why when the register says. Returns how many venues are told."""
    from app.accounts.managers import active_venue_managers
    from app.stats.reports import was_registered  # reports imports the forms, which import evaluation

    told = 0
    for result in db.session.scalars(select(PublishedResult).where(PublishedResult.publication_id == previous.id,
                                                                   PublishedResult.venue_id.in_(dropped))
                                     .options(selectinload(PublishedResult.venue))):
        managers = active_venue_managers(result.venue_id)
        told += bool(managers)
        off_register = not was_registered(result.venue, publication.year)
        for manager in managers:
            subject, body = _dropped_email(publication, previous, result, manager, off_register)
            queue_message(kind="evaluation_withdrawn", recipient=manager.email, user=manager, subject=subject,
                          body=body)
    return told


def _dropped_email(publication, previous, result: PublishedResult, manager, off_register: bool) -> tuple[str, str]:
    """``(subject, body)`` telling ``manager`` that their venue (named as ``previous`` published it) is no
    longer in the correction ``publication``, in their language."""
    with force_locale(recipient_locale(manager)):
        name = localized(result, "name")
        subject = _l("Yearly performance review %(year)s corrected: %(venue)s no longer appears in it",
                     year=publication.year, venue=name)
        reason = _l("Why: the register no longer counts %(venue)s as registered in %(year)s (its registration is "
                    "now “%(status)s”).", venue=name, year=publication.year,
                    status=result.venue.status.label) if off_register else None
        body = current_app.jinja_env.get_template("notifications/evaluation_withdrawn.txt").render(
            name=manager.name, venue=name, year=publication.year, version=publication.version,
            previous=previous.version, reason=reason, url=site_url(f"/manage/evaluation/{publication.year}"))
        return str(subject), re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


def _result_email(publication, result: PublishedResult, manager, ranked: int) -> tuple[str, str]:
    """``(subject, body)`` of a venue's result (named as published), in ``manager``'s language."""
    with force_locale(recipient_locale(manager)):
        name = localized(result, "name")
        corrected = publication.version > 1
        subject = (_l("Yearly performance review %(year)s corrected: %(venue)s", year=publication.year, venue=name)
                   if corrected else
                   _l("Yearly performance review %(year)s published: %(venue)s", year=publication.year, venue=name))
        weights = {w.indicator: w.weight for w in publication.weights}
        by_key = {p.indicator: p for p in result.points}
        lines = [{"label": i.label, "value": figure(by_key[i.key].value), "points": by_key[i.key].points,
                  "weight": figure(weights[i.key], "num")} for i in INDICATORS if i.key in by_key]
        body = current_app.jinja_env.get_template("notifications/evaluation_published.txt").render(
            name=manager.name, venue=name, year=publication.year, version=publication.version, corrected=corrected,
            score=figure(result.score, "num"), rank=result.rank, ranked=ranked, indicators=lines,
            url=site_url(f"/manage/evaluation/{publication.year}"))
        return str(subject), re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
