"""Orders data: orders, their lines and their audit trail (the event outbox)."""
