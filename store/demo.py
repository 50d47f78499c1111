"""Static SQL the demo loader needs: which profile each generated person became."""

from __future__ import annotations

import pandas as pd

from store.db import Database


def profiles_of(db: Database, keys: pd.DataFrame) -> pd.DataFrame:
    """For `keys` (person, type, value): person and profile_id of every key that is stored."""
    with db.views(kith_demo_keys=keys):
        return db.df(
            "SELECT k.person, min(i.profile_id) AS profile_id FROM kith_demo_keys k "
            "JOIN identities i ON i.type = k.type AND i.value = k.value "
            "GROUP BY k.person ORDER BY k.person"
        )
