"""What the demo seeders share. Each app may add its demo data in ``<app>/demo.py``:

    ORDER = 50            # after the registry (10) — lower runs first
    def seed(ctx: DemoContext) -> None: ...

The seeders must be deterministic for ``ctx.seed`` and ``ctx.on``, use bulk inserts
(they also build the 1,000,000-child benchmark city) and keep memory bounded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field


@dataclass
class DemoContext:
    seed: int
    on: dt.date
    children: int
    rng: random.Random
    stdout: object
    progress: object  # rich.progress.Progress or None
    personas: dict = field(default_factory=dict)  # persona key -> User
    facts: dict = field(default_factory=dict)  # anything a later seeder needs from an earlier one

    def child_rng(self, salt: str) -> random.Random:
        """An independent generator per seeder, so adding one seeder never changes another's data."""
        return random.Random(f"{self.seed}:{salt}")

    def say(self, text: str) -> None:
        self.stdout.write(text)
