"""Bookings: class visits under museum–school cooperation, individual visits, waitlists, capacity."""
