"""Publishing visits: programs, weekly schedules, closures and the slots they produce."""
