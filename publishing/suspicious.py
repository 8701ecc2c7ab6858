"""Legal but suspicious data in a publication: warnings with counts, never a reason to stop a run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class OpenDealsWithoutAmount:
    """Open deals whose Amount is empty: the open pipeline, coverage and the forecast leave them out."""

    without_amount: int
    open_deals: int

    @property
    def share(self) -> float:
        return self.without_amount / self.open_deals if self.open_deals else 0.0

    def describe(self) -> str:
        return (
            f"{self.without_amount} of {self.open_deals} open deals ({self.share:.0%}) have no amount: open pipeline, "
            "coverage and the forecast leave them out. Fill in Amount in the CRM (a product spelled two ways, "
            "or a missing price book entry, often leaves it empty)."
        )


def open_deals_without_amount(published_database: Path) -> OpenDealsWithoutAmount:
    with duckdb.connect(str(published_database), read_only=True) as reader:
        without_amount, open_deals = reader.execute(
            "select count(*) filter (where amount is null), count(*) from marts.fct_opportunities where not is_closed"
        ).fetchone()
    return OpenDealsWithoutAmount(without_amount, open_deals)
