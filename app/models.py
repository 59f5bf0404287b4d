"""Imports every domain's models so that the metadata (and Alembic) sees all tables."""
from app.accounts.models import User  # noqa: F401
from app.districts.models import District  # noqa: F401
from app.notifications.models import OutboxMessage  # noqa: F401
from app.schools.models import School  # noqa: F401
from app.venues.models import Accreditation, Venue, VenueStatusChange, VenueTheme  # noqa: F401
from app.scheduling.models import Closure, Program, Schedule, Slot  # noqa: F401
from app.bookings.models import Booking, BookingRules, Partnership  # noqa: F401
