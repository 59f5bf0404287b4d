"""Accounts and roles: registration, login, password reset, teacher verification."""
