"""Business layer: service classes, one public method per use case."""
