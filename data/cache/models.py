"""The database cache's table, declared as a model so that migrations create it."""

from django.db import models


class CacheEntry(models.Model):
    """One entry of `DatabaseCache` (the shape `manage.py createcachetable` makes).

    Django reads and writes it with its own SQL; the model only owns the table, so
    that `migrate` creates it everywhere (tests, `make run`, the container) and
    `flush` empties it. Used when `REDIS_URL` is not set.
    """

    # The same name as CACHES["default"]["LOCATION"] in project/settings.py.
    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "orderly_cache"
        verbose_name_plural = "cache entries"

    def __str__(self) -> str:
        return self.cache_key
