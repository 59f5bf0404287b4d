"""Open-access statistics: rollups kept as check-ins happen, the public dashboard, open data,
district equity, venues' annual reports and the city's evaluation. Every figure comes from
check-ins, published slots and bookings, never typed in."""
