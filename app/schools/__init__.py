"""The registry of schools that teachers belong to and venues partner with."""
