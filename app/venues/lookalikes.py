"""Venues that may be registered twice: the same name, or the same address in the same district.

Every venue is to be registered once (登记注册制度), but a new manager who does not know their venue
is already on the register, or a second department of one operator, registers it again. Nothing is
refused on a likeness alone (two "科普e站" in one district are two venues): the reviewer is shown the
likenesses and decides, and a manager is shown the public venues theirs resembles."""
from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.venues.models import Venue, VenueStatus

# Statuses whose venue a manager may be shown: the public register (a draft or a rejected
# registration of someone else's is not theirs to see).
PUBLIC = (VenueStatus.APPROVED,)


def folded(text: str) -> str:
    """A name or address as compared: NFKC (full-width letters and digits as typed by a Chinese input
    method), caseless, without spaces or punctuation ("南京 科技馆" and "南京科技馆。" are one name)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(c for c in text if not (c.isspace() or unicodedata.category(c)[0] in "PS"))


def shown_to_reviewer(venue: Venue) -> list[Venue]:
    """The venues the reviewer of ``venue`` is shown as possibly the same: any registration."""
    return lookalikes(venue)


def shown_to_manager(venue: Venue) -> list[Venue]:
    """The public venues ``venue``'s manager is shown while it is not public yet (draft, submitted or
    rejected): their registration may be of one of them again."""
    if venue.status not in (VenueStatus.DRAFT, VenueStatus.SUBMITTED, VenueStatus.REJECTED):
        return []
    return lookalikes(venue, public_only=True)


def lookalikes(venue: Venue, *, public_only: bool = False) -> list[Venue]:
    """Other venues with ``venue``'s name (Chinese or English) or, in its district, its Chinese
    address; with ``public_only``, only those in the public register. Oldest registration first.

    Compared in Python: SQL cannot fold widths. One venue row per registered venue is read, a few
    thousand in a city, on a page an administrator or a new manager opens now and then."""
    names = {folded(venue.name_zh), folded(venue.name_en)} - {""}
    address = folded(venue.address_zh)
    query = select(Venue.id, Venue.name_zh, Venue.name_en, Venue.address_zh, Venue.district_code).where(
        Venue.id != venue.id)
    if public_only:
        query = query.where(Venue.status.in_(PUBLIC))
    ids = [row.id for row in db.session.execute(query)
           if names & {folded(row.name_zh), folded(row.name_en)}
           or (address and row.district_code == venue.district_code and folded(row.address_zh) == address)]
    if not ids:
        return []
    return list(db.session.scalars(select(Venue).options(selectinload(Venue.district))
                                   .where(Venue.id.in_(ids)).order_by(Venue.id)))
