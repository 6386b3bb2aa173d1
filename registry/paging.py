"""Pagination that does not count a million rows on every page."""

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    """Counts at most CAP + 1 rows (an indexed LIMIT query); ``capped`` says there are more."""

    CAP = 10_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.capped = False

    @property
    def count(self):
        if not hasattr(self, "_count"):
            # Without the list's ORDER BY, the count can be answered from a covering index
            # (SQLite otherwise walks the ordering index and reads each row).
            rows = self.object_list
            if hasattr(rows, "order_by"):
                rows = rows.order_by()
            n = len(rows[: self.CAP + 1]) if isinstance(rows, list) else rows[: self.CAP + 1].count()
            self.capped = n > self.CAP
            self._count = min(n, self.CAP)
        return self._count
