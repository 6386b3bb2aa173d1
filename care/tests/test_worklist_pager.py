from care.views import KnownCountPaginator


def test_pager_uses_the_count_it_is_given():
    rows = list(range(65))
    paginator = KnownCountPaginator(rows, 30, count=65)
    assert paginator.num_pages == 3
    assert list(paginator.page(3)) == [60, 61, 62, 63, 64]


def test_count_is_not_taken_from_the_rows():
    class Rows(list):
        def count(self):  # pragma: no cover - must not be called
            raise AssertionError("counted again")

    paginator = KnownCountPaginator(Rows(range(10)), 4, count=10)
    assert paginator.count == 10 and paginator.num_pages == 3
