"""Data layer: repositories over Django ORM models, the unit of work, gateways."""
