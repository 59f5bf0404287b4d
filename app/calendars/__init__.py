"""iCalendar files: a booking's event, a user's private feed, venue and themed-event feeds."""
