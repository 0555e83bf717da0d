"""Account endpoints: registration, JWT tokens, the current user."""
