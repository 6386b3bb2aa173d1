"""What a caller hands to the registry's write services (forms, the ledger importer, the
department feeds, the API all build these). Values are already parsed and validated for
form (dates are dates, ID numbers normalised); the services check the registry rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class GuardianInput:
    name: str
    relationship: str  # registry.choices.Relationship value
    id_number: str = ""  # normalised, validated; "" when unknown
    phone: str = ""  # normalised by registry.identity.normalise_phone; "" when unknown
    is_primary: bool = True
    # The household's guardian this input is about, when the caller knows it (an edit form);
    # otherwise guardians are matched by ID number, phone, then name.
    guardian_id: int | None = None


@dataclass
class ChildInput:
    name: str
    sex: str  # "男" / "女"
    birth_date: dt.date
    township_id: int
    id_number: str = ""  # normalised, validated (check digit, birth date and sex agree)
    village_id: int | None = None
    ethnicity: str = ""
    hukou_address: str = ""
    hukou_county_code: str | None = None
    arrival_date: dt.date | None = None
    address: str = ""
    moved_with: str = ""
    school_stage: str = ""
    school_id: int | None = None
    school_name: str = ""
    grade: str = ""
    health: str = ""
    disability_category: str = ""
    disability_level: int | None = None
    security: list[str] = field(default_factory=list)
    residence_permit: bool | None = None
    insurance_place: str = ""
    housing_difficulty: bool = False
    remarks: str = ""
    guardians: list[GuardianInput] = field(default_factory=list)
    pending_verification: bool = False
