"""Demo data: the real Nanjing districts and venues, demo schools and accounts."""
