"""Admin screens that are not a single model's changelist."""
