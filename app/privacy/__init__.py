"""Personal data (PIPL): a person's own data download and deletion, the retention purge, and the
log of who viewed or exported someone else's personal data."""
