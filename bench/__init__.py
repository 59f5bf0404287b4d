"""``make bench``: SciVisit's quality bars measured on this machine (see docs/performance.md)."""
