"""Imports every domain's models so that the metadata (and Alembic) sees all tables."""
from app.accounts.models import ApiToken, SignIn, User  # noqa: F401
from app.districts.models import District  # noqa: F401
from app.notifications.models import OutboxMessage  # noqa: F401
from app.schools.models import School  # noqa: F401
from app.venues.models import Accreditation, Venue, VenueStatusChange, VenueTheme  # noqa: F401
from app.scheduling.models import Closure, Program, Schedule, Slot  # noqa: F401
from app.bookings.models import Booking, BookingRules, Partnership  # noqa: F401
from app.events.models import ThemedDay, ThemedDayDates  # noqa: F401
from app.calendars.models import CalendarFeed  # noqa: F401
from app.checkin.models import CheckIn, TicketKey  # noqa: F401
from app.stats.models import (EvaluationWeight, ReportReturn, ReportSubmission, SchoolDailyVisits,  # noqa: F401
                              StatsRefresh, VenueDailyStats, VenueDailySupply, VenueMonthlyStats, VenueMonthlySupply)
from app.privacy.models import PersonalDataAccess  # noqa: F401
