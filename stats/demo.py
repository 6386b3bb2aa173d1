"""Demo: build the statistics summary tables once every other seeder has run."""

from stats.services import refresh_aggregates

ORDER = 990


def seed(ctx) -> None:
    refresh_aggregates(actor=None, on=ctx.on)
