"""Site-wide pages: home, health check, privacy notice."""
