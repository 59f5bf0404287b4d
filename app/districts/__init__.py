"""Nanjing's districts: reference data for venues, schools, admins and equity statistics."""
