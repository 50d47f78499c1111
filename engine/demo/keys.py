"""Which identity keys an event carries, and filling them in from the people of a block.

Events of a part name a key set per row (`Keys`); `attach` turns that into identity columns set-
wise, one masked column per identity type.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd

IDENTITY_COLUMNS = (
    "user_id", "anonymous_id", "email", "phone", "whatsapp", "sms",
    "instagram", "telegram", "line", "facebook", "tiktok", "widget",
)  # fmt: skip
SOCIAL = ("instagram", "telegram", "line", "facebook", "tiktok", "widget")


class Keys(IntEnum):
    KNOWN = 0  # every stable key the person has shared (not their browser, not a late WhatsApp)
    ANON = 1  # the browser's anonymous id only
    WEB_LOGIN = 2  # anonymous id + user id + email: the login that joins browsing to the person
    WEB_USER = 3  # a logged-in browser
    EMAIL = 4
    WHATSAPP = 5  # WhatsApp id with the phone number
    SMS = 6
    WA_ONLY = 7  # a new WhatsApp contact: only the WhatsApp id
    KNOWN_WEB = 8  # a web-first person signing up: every stable key and the browser's id


CARRIES: dict[Keys, tuple[str, ...]] = {
    Keys.KNOWN: ("user_id", "email", "phone", "whatsapp", "sms", *SOCIAL),
    Keys.ANON: ("anonymous_id",),
    Keys.WEB_LOGIN: ("anonymous_id", "user_id", "email"),
    Keys.WEB_USER: ("anonymous_id", "user_id", "email"),
    Keys.EMAIL: ("email",),
    Keys.WHATSAPP: ("whatsapp", "phone"),
    Keys.SMS: ("sms", "phone"),
    Keys.WA_ONLY: ("whatsapp",),
    Keys.KNOWN_WEB: ("user_id", "anonymous_id", "email", "phone", "whatsapp", "sms", *SOCIAL),
}


def _carries(column: str) -> np.ndarray:
    """A lookup: key set -> does it carry `column`."""
    return np.array([column in CARRIES[k] for k in Keys])


def attach(events: pd.DataFrame, folks: pd.DataFrame) -> pd.DataFrame:
    """Add one column per identity type to `events` (rows of `folks` by `person`)."""
    person = events["person"].to_numpy()
    keys = events["keys"].to_numpy()
    on_whatsapp = np.isin(keys, [int(Keys.WHATSAPP), int(Keys.WA_ONLY)])
    hidden_wa = folks["wa_late"].to_numpy()[person] & ~on_whatsapp  # they arrive there later
    columns = {}
    for column in IDENTITY_COLUMNS:
        mask = _carries(column)[keys]
        if column == "whatsapp":
            mask &= ~hidden_wa
        values = folks[column].astype("string").take(person).reset_index(drop=True)
        columns[column] = values.where(mask).set_axis(events.index)
    return events.assign(**columns)
