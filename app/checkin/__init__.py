"""Tickets and check-in: signed QR codes, the gate's rules and pages, walk-ins and no-shows."""
