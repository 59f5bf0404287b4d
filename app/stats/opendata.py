"""The open datasets: their data dictionaries (Chinese and English), their rows, and which figures
they withhold (the rules are in ``app.stats.suppression``). Aggregates only, nothing personal.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterator

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.bookings.models import Booking
from app.checkin.models import CheckIn, CheckInResult
from app.core.time import local_today, utcnow
from app.districts.models import District
from app.events.models import ThemedDay
from app.extensions import db
from app.scheduling.models import Program, Slot, SlotStatus
from app.stats.models import VenueDailyStats
from app.stats.suppression import THRESHOLD, Event, suppress_district_month, withhold, withheld_events
from app.venues.models import Venue, VenueStatus, VenueTheme, district_on
from app.venues.services import ever_registered

YIELD_PER = 2000
LICENSE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0 International",
           "path": "https://creativecommons.org/licenses/by/4.0/"}


# Table Schema types as people read them on /open-data/ (the files and datapackage.json keep the names).
TYPE_LABELS = {"integer": _l("Whole number"), "number": _l("Number"), "string": _l("Text"), "date": _l("Date"),
               "boolean": _l("True or false")}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # Table Schema type: integer, number, string, date, boolean
    zh: str
    en: str
    unit_zh: str = ""
    unit_en: str = ""
    # Its meaning on the page in elder mode, where ``zh``/``en`` speak of what only a developer needs.
    plain: LazyString | None = None

    @property
    def type_label(self) -> str:
        return str(TYPE_LABELS.get(self.type, self.type))

    @property
    def description(self) -> str:
        zh = f"{self.zh}（单位：{self.unit_zh}）" if self.unit_zh else self.zh
        en = f"{self.en} (unit: {self.unit_en})" if self.unit_en else self.en
        return f"{zh} / {en}"


def _persons(name: str, zh: str, en: str, suppressed: bool = True) -> Field:
    note_zh = "；1–4 人次时不公布（留空），为防推算也可能留空" if suppressed else ""
    note_en = "; empty when 1–4, or to keep another empty cell from being worked out" if suppressed else ""
    return Field(name, "integer", zh + note_zh, en + note_en, "人次", "persons")


ATTENDANCE_FIELDS = (
    _persons("visits", "入馆总人次（个人预约、学生、带队成人与现场入馆之和）",
             "Persons admitted: individual bookings, students, accompanying adults and walk-ins"),
    _persons("individual_visits", "个人预约入馆人次", "Persons admitted on individual bookings"),
    Field("school_groups", "integer", "入馆的学校团体（班级）数；不做抑制", "Class visits admitted; never suppressed",
          "个", "classes"),
    _persons("school_students", "随团体入馆的学生人次", "Students admitted with their classes"),
    _persons("school_adults", "带队成人人次", "Adults accompanying classes"),
    _persons("walk_ins", "未预约现场入馆人次", "Persons admitted without a booking (walk-ins)"),
    _persons("walk_in_youth", "现场入馆中的儿童与青少年", "Walk-ins: children and young people"),
    _persons("walk_in_adults", "现场入馆中的成年人", "Walk-ins: adults"),
    _persons("walk_in_seniors", "现场入馆中的老年人（60岁及以上）", "Walk-ins: seniors (60 and over)"),
    _persons("free_visits", "免费开放场次入馆及免费场馆现场入馆人次",
             "Persons admitted on free-admission slots, and walk-ins at free venues"),
    _persons("event_visits", "主题日活动入馆人次", "Persons admitted to themed-day events"),
    Field("suppressed", "boolean", "本行是否有数值不公布（留空）", "Whether a figure of this row is withheld (empty)"),
)
ATTENDANCE_COUNTS = tuple(f.name for f in ATTENDANCE_FIELDS if f.name != "suppressed")

# Columns that every dataset holding them describes alike.
DISTRICT_NAME = Field("district_name", "string", "区名", "District name (Chinese)")
VENUE_TYPE = Field("venue_type", "string", "场馆类型", "Venue type")
OPERATOR_KIND = Field("operator_kind", "string", "举办主体类型", "Operator kind")


# --- datasets --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    # Texts mark column names and values in `backticks` (CommonMark code in datapackage.json; <code> on
    # the page), so that they read as the machine names they are in either language.
    name: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    rows: Callable[[sa.Connection], Iterator[tuple]]  # streamed from a connection of its own
    updated: Callable[[], datetime | None]
    suppression_zh: str = ""
    suppression_en: str = ""
    # Elder mode's words on the page (适老化), without machine names; when absent, the page shows the above.
    # Neither the files nor datapackage.json carry them.
    plain_description: LazyString | None = None
    plain_suppression: LazyString | None = None

    @property
    def header(self) -> list[str]:
        return [f.name for f in self.fields]


def last_published_day() -> date:
    """The last day the attendance datasets hold: yesterday, Beijing time. Today is still being
    counted, and a data user reads every row as a whole day, as mature open-data portals publish
    them; the live dashboard and the API give today's figures."""
    return local_today() - timedelta(days=1)


def _stats_updated() -> datetime | None:
    return db.session.scalar(select(func.max(VenueDailyStats.updated_at))
                             .where(VenueDailyStats.day <= last_published_day()))


@dataclass
class _Month:
    """One month of attendance as read (daily rows by day and venue), the cells withheld in each of
    its daily rows, and its district rows as published."""

    rows: list
    withheld: list[set[str]]
    districts: list[tuple]


def _attendance_months(conn: sa.Connection) -> Iterator[_Month]:
    """Month by month, in the order of the daily dataset: a district's month is decided together
    with its venues' days (``suppress_district_month``), so one month of daily rows is held at a time.
    Whole days only (``last_published_day``), in the daily and the monthly rows alike: a monthly total
    over a day the daily rows leave out would give that day's figures away."""
    S = VenueDailyStats
    # A day counts for the district its venue was in on the first of that month: a month is never split.
    counted_in = district_on(S.venue_id, S.day)
    query = (select(S.day, S.venue_id, Venue.name_zh, Venue.name_en, counted_in.label("district_code"),
                    District.name_zh, Venue.venue_type, Venue.operator_kind, District.kind,
                    *(getattr(S, n) for n in ATTENDANCE_COUNTS))
             .join(Venue, Venue.id == S.venue_id).join(District, District.code == counted_in)
             .where(S.day <= last_published_day())
             .order_by(S.day, S.venue_id).execution_options(yield_per=YIELD_PER))
    for _month, rows in itertools.groupby(conn.execute(query), key=lambda row: (row.day.year, row.day.month)):
        yield _publish_month(list(rows))


def _counts(row) -> dict:
    return dict(zip(ATTENDANCE_COUNTS, row[9:]))


def _publish_month(rows: list) -> _Month:
    withheld: list[set[str]] = [set()] * len(rows)  # shared empty set: most rows withhold nothing
    by_district: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_district.setdefault(row.district_code, []).append(index)
    districts = []
    for code in sorted(by_district):
        indexes = by_district[code]
        days = [_counts(rows[i]) for i in indexes]
        hidden, month_hidden = suppress_district_month(days)
        for index, cells in zip(indexes, hidden):
            if cells:
                withheld[index] = cells
        first = rows[indexes[0]]
        month = {n: sum(day[n] for day in days) for n in ATTENDANCE_COUNTS}
        flagged = withhold(month, month_hidden)
        districts.append((f"{first.day.year:04d}-{first.day.month:02d}", code, first[5], first.kind,
                          len({rows[i].venue_id for i in indexes}), *(month[n] for n in ATTENDANCE_COUNTS),
                          flagged))
    return _Month(rows, withheld, districts)


def _daily_rows(conn: sa.Connection) -> Iterator[tuple]:
    for month in _attendance_months(conn):
        for row, cells in zip(month.rows, month.withheld):
            values = _counts(row)
            flagged = withhold(values, cells)
            yield (*row[:6], row.venue_type.value, row.operator_kind.value,
                   *(values[n] for n in ATTENDANCE_COUNTS), flagged)
        del month  # let it go before the next month is read: one month in memory, not two


def _monthly_rows(conn: sa.Connection) -> Iterator[tuple]:
    # Every district has its row in every month from the first one published, zeros included: the
    # district with no visits is the one an equity reading looks for, and a missing row reads as
    # "not reported".
    districts = sorted(conn.execute(select(District.code, District.name_zh, District.kind)).all())

    def nobody(label: str, district) -> tuple:
        return (label, *district, 0, *(0 for _ in ATTENDANCE_COUNTS), False)

    following = None  # the month after the last one written
    for month in _attendance_months(conn):
        label = month.districts[0][0]
        while following is not None and following < label:  # a month with no visits anywhere
            for district in districts:
                yield nobody(following, district)
            following = _month_after(following)
        counted = {row[1]: row for row in month.districts}
        for district in districts:
            yield counted.get(district.code) or nobody(label, district)
        following = _month_after(label)
        del month
    # …and on to the last month published, which may have no visits yet (on its first days).
    last = f"{last_published_day():%Y-%m}"
    while following is not None and following <= last:
        for district in districts:
            yield nobody(following, district)
        following = _month_after(following)


def _month_after(label: str) -> str:
    year, month = divmod(int(label[:4]) * 12 + int(label[5:7]), 12)
    return f"{year:04d}-{month + 1:02d}"


def _venue_rows(conn: sa.Connection) -> Iterator[tuple]:
    # Every venue ever on the register, so that each venue_id of the attendance and event datasets is
    # found here; a suspended venue stays, its `status` saying so.
    themes = (select(VenueTheme.venue_id, VenueTheme.name).join(Venue)
              .where(ever_registered()).order_by(VenueTheme.venue_id, VenueTheme.id))
    by_venue: dict[int, list[str]] = {}
    for venue_id, name in conn.execute(themes):
        by_venue.setdefault(venue_id, []).append(name)
    V = Venue
    query = (select(V.id, V.name_zh, V.name_en, V.venue_type, V.operator_kind, V.district_code,
                    District.name_zh.label("district_name"), V.address_zh, V.latitude, V.longitude, V.admission,
                    V.opens_at, V.closes_at, V.closed_weekdays, V.daily_capacity, V.grade_min, V.grade_max, V.website,
                    V.status, V.unverified_note)
             .join(District, District.code == V.district_code)
             .where(ever_registered()).order_by(V.id).execution_options(yield_per=500))
    for venue in conn.execute(query):
        yield (venue.id, venue.name_zh, venue.name_en or "", venue.venue_type.value, venue.operator_kind.value,
               venue.district_code, venue.district_name, venue.address_zh or "",
               float(venue.latitude) if venue.latitude is not None else None,
               float(venue.longitude) if venue.longitude is not None else None,
               "; ".join(by_venue.get(venue.id, [])), venue.admission.value,
               venue.opens_at.strftime("%H:%M") if venue.opens_at else None,
               venue.closes_at.strftime("%H:%M") if venue.closes_at else None,
               venue.closed_weekdays or "", venue.daily_capacity, venue.grade_min, venue.grade_max,
               venue.website or "", venue.status.value, venue.unverified_note or "")


def _event_rows(conn: sa.Connection) -> Iterator[tuple]:
    # A venue not open now (suspended, or in review after a move) keeps its events' past sessions,
    # held and counted; its sessions still to come are not advertised, and cannot be booked.
    held_or_open = sa.or_(Venue.status == VenueStatus.APPROVED, Slot.starts_at <= utcnow())
    slots = (select(Slot.program_id, func.min(Slot.local_date).label("first_day"),
                    func.max(Slot.local_date).label("last_day"), func.count(Slot.id).label("sessions"),
                    func.sum(Slot.capacity).label("capacity"))
             .join(Venue, Venue.id == Slot.venue_id).where(Slot.status == SlotStatus.OPEN, held_or_open)
             .group_by(Slot.program_id).subquery("event_slots"))
    attendance = (select(Slot.program_id, func.sum(CheckIn.persons).label("persons"))
                  .select_from(Slot).join(Booking, Booking.slot_id == Slot.id)
                  .join(CheckIn, sa.and_(CheckIn.booking_id == Booking.id, CheckIn.result == CheckInResult.OK))
                  .join(Program, Program.id == Slot.program_id)
                  # The days the daily `event_visits` hold, so that neither gives the other's missing day away.
                  .where(Program.themed_day_key.isnot(None), CheckIn.local_date <= last_published_day())
                  .group_by(Slot.program_id).subquery("event_attendance"))
    query = (select(Program.id, Program.title_zh, Program.title_en, Program.themed_day_key, ThemedDay.name_zh,
                    Venue.id, Venue.name_zh, district_on(Venue.id, slots.c.first_day), slots.c.first_day,
                    slots.c.last_day, slots.c.sessions, slots.c.capacity, func.coalesce(attendance.c.persons, 0))
             .join(Venue, Venue.id == Program.venue_id).join(slots, slots.c.program_id == Program.id)
             .outerjoin(ThemedDay, ThemedDay.key == Program.themed_day_key)
             .outerjoin(attendance, attendance.c.program_id == Program.id)
             .where(Program.themed_day_key.isnot(None), ever_registered())
             .order_by(slots.c.first_day, Program.id))
    events = conn.execute(query).all()  # one row per themed program: few, and all needed to decide
    withheld_ids = withheld_events((Event(row[0], row[5], row[8], row[9], int(row[12])) for row in events),
                                   _small_event_days(conn))
    published_through = last_published_day()
    for row in events:
        hidden = row[0] in withheld_ids
        # Attendance counts whole days: until its first session's day is over, an event has none to
        # publish, and a 0 would read as "nobody came".
        counted = row[8] <= published_through
        yield (*row[:10], int(row[10]), int(row[11] or 0), int(row[12]) if counted and not hidden else None, hidden)


def _small_event_days(conn: sa.Connection) -> dict[int, set[date]]:
    """Per venue, its days whose ``event_visits`` the daily dataset withholds (1–4 persons)."""
    S = VenueDailyStats
    query = select(S.venue_id, S.day).where(S.event_visits > 0, S.event_visits < THRESHOLD,
                                            S.day <= last_published_day())
    days: dict[int, set[date]] = {}
    for venue_id, day in conn.execute(query):
        days.setdefault(venue_id, set()).add(day)
    return days


def _events_updated() -> datetime | None:
    return max(filter(None, (_stats_updated(), db.session.scalar(
        select(func.max(Program.created_at)).where(Program.themed_day_key.isnot(None))))), default=None)


# What every text about withheld figures says (the rules: app.stats.suppression). The live figures
# are exact by the product's choice, and these texts say so rather than promise more than the files keep.
_LIVE_ZH = "实时统计看板和统计接口按所选时段和条件给出精确合计（仅为入馆人次计数，不含任何身份信息），不做留空处理。"
_LIVE_EN = ("The live dashboard and the statistics API give exact totals for any period and filter (counts of "
            "admissions, with no identity attached) and withhold nothing.")
_SUPPRESSION_ZH = ("1–4 人次的数字不公布（留空），本行 `suppressed` 标为 `true`；另有一些数字一并留空，使留空的数字无法由本站"
                   "数据文件推算（无论是同一行内的加总，还是各区每月合计与各场馆每日数字之间）。0 照常公布；学校团体数不做抑制。"
                   + _LIVE_ZH)
_SUPPRESSION_EN = ("Counts of 1–4 persons are published empty and the row's `suppressed` flag is `true`. Some other "
                   "cells are emptied too, so that no empty cell can be worked out from these files (from the sums "
                   "within a row, or from a district's monthly total and its venues' daily figures). Zeros are "
                   "published; `school_groups` is never suppressed. " + _LIVE_EN)
_EVENT_SUPPRESSION_ZH = ("入馆人次为1–4时不公布（留空）；另有一些活动的人次一并留空，使其无法与每日数据中的主题日活动人次相互推算。"
                         + _LIVE_ZH)
_EVENT_SUPPRESSION_EN = ("Attendance of 1–4 persons is published empty; some other attendances are emptied too, so "
                         "that none can be worked out with the daily `event_visits`. " + _LIVE_EN)
_PLAIN_SUPPRESSION = _l("To protect privacy, a count of 1 to 4 people is left empty, and so are some other figures, "
                        "so that no empty one can be worked out from the rest. Zeros are shown, and the number of "
                        "school groups is never left empty. The statistics pages of this site give exact totals for "
                        "any period.")
_PLAIN_EVENT_SUPPRESSION = _l("To protect privacy, an attendance of 1 to 4 people is left empty, and so are some "
                              "others, so that none can be worked out from the daily figures. The statistics pages "
                              "of this site give exact totals for any period.")

DATASETS = (
    Dataset(
        "attendance-daily", "场馆每日入馆人次", "Daily attendance per venue",
        "每个场馆每天的入馆人次（来自验票签到与现场入馆记录），按类型细分。只收录已结束的日子（北京时间）：当天的数字次日公布。",
        "Persons admitted at each venue each day (from check-ins and walk-ins), split by kind. Whole days only "
        "(Beijing time): a day's figures are published the day after.",
        (Field("date", "date", "入馆日期（北京时间）", "Day of the visit (Asia/Shanghai)"),
         Field("venue_id", "integer", "场馆编号（与场馆名录数据集一致）",
               "Venue id (as in the venues dataset; for a venue open now, also in the API)",
               plain=_l("Venue number, the same as in the venue registry")),
         Field("venue", "string", "场馆名称（中文）", "Venue name (Chinese)"),
         Field("venue_en", "string", "场馆名称（英文）", "Venue name (English)"),
         Field("district", "string", "当月1日场馆登记所在区的行政区划代码（迁址场馆自迁址次月起计入新区）",
               "District code (GB/T 2260) of the venue in that month: where it was registered on the month's "
               "first day (a venue that moves counts for its new district from the next month)",
               plain=_l("Code of the venue’s district in that month: where it was registered on the month’s "
                        "first day")),
         DISTRICT_NAME,
         VENUE_TYPE,
         OPERATOR_KIND,
         *ATTENDANCE_FIELDS),
        ("date", "venue_id"), _daily_rows, _stats_updated, _SUPPRESSION_ZH, _SUPPRESSION_EN,
        plain_suppression=_PLAIN_SUPPRESSION),
    Dataset(
        "attendance-monthly-district", "各区每月入馆人次", "Monthly attendance per district",
        "各区场馆每月入馆人次合计。统计口径：以当月1日场馆登记所在区为准，迁址场馆自迁址次月起计入新区，已公布的月份不因迁址而改变。"
        "江北新区直管区单列（`district_kind` 为 `management_area`），不计入各区合计。"
        "只计已结束的日子：本月的行为截至昨日的合计，逐日增加，月末后不再变化。"
        "自首个有数据的月份起，每区每月都有一行，无入馆的区和月份记为0。",
        "Persons admitted per district and month. A venue counts for the district it was registered in on the "
        "month's first day: one that moves counts for its new district from the next month, and months already "
        "published do not change. Jiangbei New Area's directly administered area is its own row "
        "(`district_kind` `management_area`) and is never part of a district's figures. Whole days only: the "
        "current month's row sums its days up to yesterday and grows day by day until the month is over. From "
        "the first month with visits on, every district has a row every month: one with no visits has zeros.",
        (Field("month", "string", "月份（`YYYY-MM`）", "Month (`YYYY-MM`)"),
         Field("district", "string", "行政区划代码", "District code (GB/T 2260), or JBXQ",
               plain=_l("Code of the district")),
         DISTRICT_NAME,
         Field("district_kind", "string", "`district` 为行政区，`management_area` 为江北新区直管区",
               "`district`, or `management_area` for Jiangbei New Area"),
         Field("venues", "integer", "当月有入馆记录的场馆数", "Venues with visits in the month", "个", "venues"),
         *ATTENDANCE_FIELDS),
        ("month", "district"), _monthly_rows, _stats_updated, _SUPPRESSION_ZH, _SUPPRESSION_EN,
        plain_description=_l("How many people visited the venues of each district each month. A venue that moves "
                             "counts for its new district from the next month on; months already published stay "
                             "as they are. Jiangbei New Area’s directly administered area has a row of its own and "
                             "is never part of a district’s figures. The current month counts the days up to "
                             "yesterday and grows day by day until the month is over. Every district has a row every "
                             "month; a district with no visits shows zeros."),
        plain_suppression=_PLAIN_SUPPRESSION),
    Dataset(
        "venues", "科普场馆名录", "Venue registry",
        "通过登记的科普场馆及教育基地，包括暂停开放或迁址后待审核的场馆（见 `status`），"
        "使入馆人次与主题日活动数据中的每个场馆编号都能在此查到。",
        "Science venues and education bases that have been approved, including those suspended or back in "
        "review after a move (see `status`), so that every venue id of the attendance and themed-event "
        "datasets is found here.",
        (Field("venue_id", "integer", "场馆编号", "Venue id"),
         Field("name_zh", "string", "场馆名称（中文）", "Name (Chinese)"),
         Field("name_en", "string", "场馆名称（英文）", "Name (English)"),
         VENUE_TYPE,
         OPERATOR_KIND,
         Field("district", "string", "行政区划代码", "District code"),
         DISTRICT_NAME,
         Field("address_zh", "string", "地址", "Address (Chinese)"),
         Field("latitude", "number", "纬度", "Latitude", "度", "degrees"),
         Field("longitude", "number", "经度", "Longitude", "度", "degrees"),
         Field("themes", "string", "主题（以分号分隔）", "Themes, separated by semicolons"),
         Field("admission", "string", "开放方式：`free` 免费，`discounted` 优惠", "Admission: `free` or `discounted`"),
         Field("opens_at", "string", "通常开馆时间（`HH:MM`）", "Usual opening time (`HH:MM`)"),
         Field("closes_at", "string", "通常闭馆时间（`HH:MM`）", "Usual closing time (`HH:MM`)"),
         Field("closed_weekdays", "string", "通常闭馆的星期（1 为星期一）", "Weekdays usually closed (1 = Monday)"),
         Field("daily_capacity", "integer", "每日最大承载量", "Daily capacity", "人", "persons"),
         Field("grade_min", "integer", "适合的最低年级（0 为幼儿园）", "Lowest suitable grade (0 = kindergarten)"),
         Field("grade_max", "integer", "适合的最高年级", "Highest suitable grade"),
         Field("website", "string", "网站", "Website"),
         Field("status", "string",
               "登记状态：`approved` 已登记并对公众开放，`suspended` 暂停开放，`submitted` 迁至他区后待新所在区审核，"
               "`rejected` 迁址后未获新所在区通过；后三者目前不可预约",
               "Registration status: `approved` (on the register and open to the public), `suspended`, "
               "`submitted` (moved to another district, awaiting its review) or `rejected` (moved, and not "
               "approved there); the last three cannot be booked now"),
         Field("unverified", "string",
               "尚未核实的信息，以分号分隔：`district` 所在区，`district_or_type` 所在区或场馆类型，`venue_type` 场馆类型，"
               "`operator` 运营方，`name` 名称，`campus` 所在校区，`existence` 是否仍在开放；为空表示均已核实",
               "Facts not yet verified, separated by semicolons: `district`, `district_or_type` (its district or "
               "its type), `venue_type`, `operator`, `name`, `campus` or `existence` (whether it is open); empty "
               "when all is verified")),
        ("venue_id",), _venue_rows, lambda: db.session.scalar(select(func.max(Venue.updated_at))),
        plain_description=_l("Science venues and education bases on the register, including those closed for now "
                             "or awaiting review after a move (see their registration status), so that every venue "
                             "of the other tables is found here.")),
    Dataset(
        "themed-events", "主题日活动", "Themed events",
        "与全国科普日、科技活动周等主题日关联的场馆活动，及其场次与入馆人次。目前不开放的场馆（见场馆名录的 `status`）"
        "只列出已开始的场次。",
        "Venue events tied to themed days (National Science Popularization Day, Science and Technology Week, "
        "…), with their sessions and attendance. For a venue not open now (see `status` in the venues "
        "dataset), only the sessions that have begun are listed.",
        (Field("event_id", "integer", "活动编号", "Event id"),
         Field("title_zh", "string", "活动名称（中文）", "Title (Chinese)"),
         Field("title_en", "string", "活动名称（英文）", "Title (English)"),
         Field("themed_day", "string", "主题日代码", "Themed day key"),
         Field("themed_day_name", "string", "主题日名称", "Themed day name (Chinese)"),
         Field("venue_id", "integer", "场馆编号", "Venue id"),
         Field("venue", "string", "场馆名称", "Venue name (Chinese)"),
         Field("district", "string", "首个场次当月1日场馆登记所在区的行政区划代码",
               "District code of the venue in the month of the first session (as registered on its first day)"),
         Field("first_date", "date", "首个场次日期", "Day of the first session"),
         Field("last_date", "date", "最后一个场次日期", "Day of the last session"),
         Field("sessions", "integer", "场次数", "Sessions published", "场", "sessions"),
         Field("capacity", "integer", "提供的名额", "Places offered", "人", "persons"),
         _persons("attendance", "活动入馆人次（截至昨日；首个场次当天结束前留空）",
                  "Persons admitted, up to yesterday (empty until the day of the first session is over)"),
         Field("suppressed", "boolean", "入馆人次是否因数据抑制不公布（留空）；活动尚未举行时为 `false`",
               "Whether attendance is withheld (empty) to protect privacy; `false` for an event not held yet")),
        ("event_id",), _event_rows, _events_updated,
        _EVENT_SUPPRESSION_ZH, _EVENT_SUPPRESSION_EN,
        plain_description=_l("Venue events held for themed days, such as National Science Popularization Day and "
                             "Science and Technology Week, with their sessions and attendance. For a venue that is "
                             "not open now, only the sessions that have begun are listed."),
        plain_suppression=_PLAIN_EVENT_SUPPRESSION),
)
BY_NAME = {d.name: d for d in DATASETS}


# --- the dictionary inside a spreadsheet ------------------------------------------------------------

# A spreadsheet's second sheet: what a reader in Excel needs without datapackage.json or this site.
DICTIONARY_SHEET = "字段说明 dictionary"
DICTIONARY_HEADER = ("column", "type", "说明", "description", "单位", "unit")


def _plain_text(text: str) -> str:
    return text.replace("`", "")  # machine names read as they are in a cell, without Markdown's marks


def dictionary_rows(dataset: Dataset) -> list[tuple]:
    """Each column of ``dataset`` with its type, meaning and unit in Chinese and English, then the
    dataset's title and description, its licence, and what it withholds."""
    rows: list[tuple] = [(f.name, f.type, _plain_text(f.zh), _plain_text(f.en), f.unit_zh, f.unit_en)
                         for f in dataset.fields]
    rows += [(), ("dataset", dataset.name, dataset.title_zh, dataset.title_en),
             ("", "", _plain_text(dataset.description_zh), _plain_text(dataset.description_en)),
             ("licence", LICENSE["name"], "知识共享署名 4.0 国际 (CC BY 4.0)，使用时请注明来源",
              f"{LICENSE['title']} (CC BY 4.0): please credit the source", "", LICENSE["path"])]
    if dataset.suppression_zh:
        rows.append(("withheld", "", _plain_text(dataset.suppression_zh), _plain_text(dataset.suppression_en)))
    return rows

