"""Payment endpoints and admin."""
