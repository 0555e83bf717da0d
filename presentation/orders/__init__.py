"""Order endpoints and admin."""
