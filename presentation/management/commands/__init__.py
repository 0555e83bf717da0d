"""The `manage.py` commands of Orderly; each parses arguments and calls services."""
