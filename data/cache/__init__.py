"""The table of Django's database cache: throttle counters shared by every worker."""
