"""Management commands: presentation for operators and cron."""
