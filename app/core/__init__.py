"""Shared plumbing: errors, authorization helpers, time, pagination, interface preferences."""
