"""Writes of the registry. Every function: keyword-only, one transaction, audited.

Forms, the ledger importer, the department feeds, the API and the census all register and
change children through these functions, so the registry's rules live here only.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from access.policy import can, can_reveal, has_capability, unit_in_scope
from audit.services import diff, record
from common import idnumber
from common.uploads import DOCUMENTS, UploadRejected, check_upload
from places.models import County, Unit
from registry import identity
from registry.choices import (
    DISABILITY_LEVELS,
    CloseReason,
    DisabilityCategory,
    Health,
    InsurancePlace,
    MigrantStatus,
    MovedWith,
    Relationship,
    SchoolStage,
    Security,
    Sex,
)
from registry.hooks import child_changed
from registry.inputs import ChildInput, GuardianInput
from registry.models import (
    CensusRound,
    CensusTask,
    Child,
    ChildDocument,
    FileNumberCounter,
    Guardian,
    Household,
    Transfer,
)
from registry.status import StatusResult, compute_status


class RegistryError(ValueError):
    """A registry rule refused the write; ``str(exc)`` says in Chinese what to do."""


class InvalidChildData(RegistryError):
    """Field-level problems: ``errors`` maps a ChildInput field (or ``guardians.0.phone``) to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("；".join(f"{message}" for message in self.errors.values()))


class DuplicateChild(RegistryError):
    """The ID number already has a file; ``existing`` is that child (check scope before showing it)."""

    def __init__(self, existing: Child):
        self.existing = existing
        super().__init__(
            f"该身份证号已有儿童档案（档案编号 {existing.file_no}），请勿重复登记；如需修改请打开原档案"
        )


class ConcurrentEdit(RegistryError):
    def __init__(self, message: str = ""):
        super().__init__(
            message or "该档案已被其他人修改。您填写的内容尚未保存：请刷新查看最新内容后再提交修改"
        )


# ---------------------------------------------------------------- file numbers


@transaction.atomic
def reserve_file_numbers(count: int) -> list[str]:
    """Reserve ``count`` consecutive file numbers (档案编号), e.g. 429006-0001234."""
    FileNumberCounter.objects.get_or_create(pk=1)
    FileNumberCounter.objects.filter(pk=1).update(last=F("last") + count)
    last = FileNumberCounter.objects.get(pk=1).last
    return [f"{settings.HOME_COUNTY_CODE}-{n:07d}" for n in range(last - count + 1, last + 1)]


# ---------------------------------------------------------------- validation

_known_counties: set[str] = set()
_SEX_FROM_ID = {"M": Sex.MALE, "F": Sex.FEMALE}


def _county_exists(code: str) -> bool:
    if code in _known_counties:
        return True
    if County.objects.filter(code=code).exists():
        _known_counties.add(code)
        return True
    return False


def _check_choice(errors: dict, field: str, value, choices, label: str) -> None:
    if value and value not in choices[0]:
        errors[field] = f"{label}“{value}”不在可选范围内（可选：{'、'.join(choices[1])}）"


def _values(choices) -> tuple[frozenset, list]:
    # ``Choices.values`` is rebuilt on every access; validate reads these once per input.
    return frozenset(choices.values), list(choices.values)


_SEX_VALUES = frozenset(Sex.values)
_MOVED_WITH = _values(MovedWith)
_SCHOOL_STAGES = _values(SchoolStage)
_HEALTH = _values(Health)
_DISABILITY_CATEGORIES = _values(DisabilityCategory)
_INSURANCE_PLACES = _values(InsurancePlace)
_DISABILITY_LEVELS = frozenset(dict(DISABILITY_LEVELS))
_SECURITY = _values(Security)
_RELATIONSHIPS = _values(Relationship)


def validate(
    data: ChildInput,
    *,
    on: dt.date | None = None,
    units: dict | None = None,
    school_ids: set | None = None,
    county_codes: set | None = None,
) -> dict:
    """Check the registry's rules on an input; returns the resolved units and normalised IDs.

    Raises InvalidChildData with every field-level problem at once. Bulk callers pass the
    batch's units ({pk: Unit}), school ids and existing county codes, looked up once, instead
    of a query per input.
    """
    on = on or timezone.localdate()
    errors: dict[str, str] = {}
    if not (data.name or "").strip():
        errors["name"] = "请填写儿童姓名"
    if data.sex not in _SEX_VALUES:
        errors["sex"] = "性别应为“男”或“女”"
    if not isinstance(data.birth_date, dt.date):
        errors["birth_date"] = "请填写出生日期"
    elif data.birth_date > on:
        errors["birth_date"] = "出生日期晚于今天，请核对"

    id_number = ""
    if data.id_number:
        try:
            facts = idnumber.parse(data.id_number)
        except idnumber.InvalidIdNumber as exc:
            errors["id_number"] = str(exc)
        else:
            id_number = facts.number
            if isinstance(data.birth_date, dt.date) and facts.birth_date != data.birth_date:
                errors["id_number"] = (
                    f"身份证号中的出生日期（{facts.birth_date.isoformat()}）与填写的出生日期"
                    f"（{data.birth_date.isoformat()}）不一致，请核对后改正其中之一"
                )
            elif data.sex in _SEX_VALUES and _SEX_FROM_ID[facts.sex] != data.sex:
                errors["id_number"] = (
                    f"身份证号表明性别为“{_SEX_FROM_ID[facts.sex]}”，与填写的性别“{data.sex}”不一致，请核对"
                )

    if units is None:
        units = {u.pk: u for u in Unit.objects.filter(pk__in=[data.township_id, data.village_id or 0])}
    township = units.get(data.township_id)
    if township is None or township.level != Unit.Level.TOWNSHIP:
        township = None
        errors["township_id"] = "请选择居住乡镇（街道）"
    village = None
    if data.village_id:
        village = units.get(data.village_id)
        if village is not None and village.level != Unit.Level.VILLAGE:
            village = None
        if village is None or (township is not None and village.parent_id != township.pk):
            errors["village_id"] = "所选村（社区）不属于所选乡镇（街道），请重新选择"
    if data.hukou_county_code and not (
        data.hukou_county_code in county_codes
        if county_codes is not None
        else _county_exists(data.hukou_county_code)
    ):
        errors["hukou_county_code"] = f"户籍地区划代码 {data.hukou_county_code} 不存在，请核对"
    if data.arrival_date:
        if data.arrival_date > on:
            errors["arrival_date"] = "到达本地日期晚于今天，请核对"
        elif isinstance(data.birth_date, dt.date) and data.arrival_date < data.birth_date:
            errors["arrival_date"] = "到达本地日期早于出生日期，请核对（本地出生的填写出生日期）"

    _check_choice(errors, "moved_with", data.moved_with, _MOVED_WITH, "随迁情况")
    _check_choice(errors, "school_stage", data.school_stage, _SCHOOL_STAGES, "就学状态")
    _check_choice(errors, "health", data.health, _HEALTH, "健康状况")
    _check_choice(errors, "disability_category", data.disability_category, _DISABILITY_CATEGORIES, "残疾类别")
    _check_choice(errors, "insurance_place", data.insurance_place, _INSURANCE_PLACES, "医保参保地")
    if data.disability_level is not None and data.disability_level not in _DISABILITY_LEVELS:
        errors["disability_level"] = "残疾等级应为一级至四级"
    unknown = [s for s in data.security or [] if s not in _SECURITY[0]]
    if unknown:
        errors["security"] = (
            f"保障类别“{'、'.join(unknown)}”不在可选范围内（可选：{'、'.join(_SECURITY[1])}）"
        )
    if data.school_id:
        from schools.models import School

        if not (
            data.school_id in school_ids
            if school_ids is not None
            else School.objects.filter(pk=data.school_id).exists()
        ):
            errors["school_id"] = "所选学校不存在，请重新选择"

    guardians = []
    for i, guardian in enumerate(data.guardians or []):
        prefix = f"guardians.{i}."
        if not (guardian.name or "").strip():
            errors[prefix + "name"] = f"请填写第{i + 1}位监护人的姓名"
        if guardian.relationship not in _RELATIONSHIPS[0]:
            errors[prefix + "relationship"] = (
                f"第{i + 1}位监护人与儿童关系应为：{'、'.join(_RELATIONSHIPS[1])}"
            )
        g_id = ""
        if guardian.id_number:
            try:
                g_id = idnumber.parse(guardian.id_number).number
            except idnumber.InvalidIdNumber as exc:
                errors[prefix + "id_number"] = f"第{i + 1}位监护人{exc}"
        phone = ""
        try:
            phone = identity.normalise_phone(guardian.phone)
        except identity.InvalidPhone as exc:
            errors[prefix + "phone"] = f"第{i + 1}位监护人{exc}"
        guardians.append((guardian, g_id, phone))
    if errors:
        raise InvalidChildData(errors)
    return {"township": township, "village": village, "id_number": id_number, "guardians": guardians}


def _status(data_birth, hukou, arrival, on) -> StatusResult:
    return compute_status(
        birth_date=data_birth,
        hukou_county_code=hukou or None,
        arrival_date=arrival,
        home_county_codes=settings.HOME_COUNTY_CODES,
        on=on,
    )


# ---------------------------------------------------------------- snapshots for the audit


class Masked(str):
    """A masked number (or a text holding masked numbers) that compares by the numbers it
    stands for: a change of hidden digits is a change for ``diff``, though the text is the same.
    Written to the audit as its text; ``changes_between`` says that the number changed."""

    key: object = None

    def __new__(cls, text: str, key) -> str:
        if not text:
            return ""
        value = super().__new__(cls, text)
        value.key = key
        return value

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and str.__eq__(self, other) and getattr(other, "key", None) == self.key

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


NUMBER_CHANGED = "（号码已更改）"


def changes_between(before: dict, after: dict) -> dict:
    """``diff`` of two snapshots; where only hidden digits of a masked number changed, the new
    value says so (the audit shows masked numbers only)."""
    changes = diff(before, after)
    for values in changes.values():
        old, new = values
        if isinstance(new, str) and old is not None and str(old) == str(new):
            values[1] = f"{new}{NUMBER_CHANGED}"
    return changes


def snapshot(child: Child, *, units: dict | None = None, guardians: list | None = None) -> dict:
    """The child's fields as shown in the change history: identifiers masked, units by name.
    ``units`` ({pk: name}) and ``guardians`` may be passed when the caller has them at hand."""
    if units is None:
        units = {u.pk: u.name for u in Unit.objects.filter(pk__in=[child.township_id, child.village_id])}
    if guardians is None:
        guardians = list(child.household.guardians.all())
    guardian_text = Masked(
        "；".join(
            f"{g.name}（{g.relationship}）{g.phone_masked}{' ' + g.id_masked if g.id_masked else ''}"
            for g in guardians
        ),
        tuple((g.phone_hash, g.id_hash) for g in guardians),
    )
    return {
        "姓名": child.name,
        "性别": child.sex,
        "出生日期": child.birth_date.isoformat() if child.birth_date else "",
        "民族": child.ethnicity,
        "公民身份号码": Masked(child.id_masked, child.id_hash),
        "户籍地区划": child.hukou_county_id or "",
        "户籍地址": child.hukou_address,
        "到达本地日期": child.arrival_date.isoformat() if child.arrival_date else "",
        "居住乡镇": units.get(child.township_id, ""),
        "居住村（社区）": units.get(child.village_id, ""),
        "现居住地址": child.address,
        "随迁情况": child.moved_with,
        "就学状态": child.school_stage,
        "学校": child.school_name or (str(child.school) if child.school_id else ""),
        # Whether the school is linked to the schools' list: unlinking it shows in the history.
        "学校名录": "已关联" if child.school_id else "",
        "年级": child.grade,
        "健康状况": child.health,
        "残疾类别": child.disability_category,
        "残疾等级": child.disability_level or "",
        "保障类别": "、".join(child.security or []),
        "居住证": {True: "有", False: "无"}.get(child.residence_permit, ""),
        "医保参保地": child.insurance_place,
        "住房困难": "是" if child.housing_difficulty else "否",
        "备注": child.remarks,
        "监护人": guardian_text,
        "认定状态": MigrantStatus(child.migrant_status).label if child.migrant_status else "",
        "认定说明": child.status_reason,
        "待核实": "是" if child.pending_verification else "否",
    }


def _child_fields(data: ChildInput, checked: dict) -> dict:
    school_name = data.school_name
    if data.school_id and not school_name:
        from schools.models import School

        school_name = School.objects.filter(pk=data.school_id).values_list("name", flat=True).first() or ""
    return {
        "name": data.name.strip(),
        "name_pinyin": identity.name_pinyin(data.name.strip()),
        "sex": data.sex,
        "birth_date": data.birth_date,
        "ethnicity": data.ethnicity,
        **identity.id_columns(checked["id_number"]),
        "hukou_address": data.hukou_address,
        "hukou_county_id": data.hukou_county_code or None,
        "arrival_date": data.arrival_date,
        "township_id": checked["township"].pk,
        "village_id": checked["village"].pk if checked["village"] else None,
        "address": data.address,
        "moved_with": data.moved_with,
        "school_stage": data.school_stage,
        "school_id": data.school_id,
        "school_name": school_name,
        "grade": data.grade,
        "health": data.health,
        "disability_category": data.disability_category,
        "disability_level": data.disability_level,
        "security": list(data.security or []),
        "residence_permit": data.residence_permit,
        "insurance_place": data.insurance_place,
        "housing_difficulty": bool(data.housing_difficulty),
        "remarks": data.remarks,
        "pending_verification": bool(data.pending_verification),
    }


def _status_fields(result: StatusResult, on: dt.date) -> dict:
    return {
        "migrant_status": result.status,
        "status_reason": result.reason,
        "migrant_from": result.migrant_from,
        "status_computed_on": on,
    }


# ---------------------------------------------------------------- households and guardians


def _find_household(guardians: list, township: Unit) -> Household | None:
    """A sibling's household: a guardian with the same phone or ID number in the same township."""
    phone_hashes = [identity.phone_hash(p) for _g, _id, p in guardians if p]
    id_hashes = [identity.id_columns(i)["id_hash"] for _g, i, _p in guardians if i]
    if not phone_hashes and not id_hashes:
        return None
    from django.db.models import Q

    q = Q(pk__in=[])
    if phone_hashes:
        q |= Q(phone_hash__in=phone_hashes)
    if id_hashes:
        q |= Q(id_hash__in=id_hashes)
    match = (
        Guardian.objects.filter(q, household__township=township)
        .select_related("household")
        .order_by("household_id")
        .first()
    )
    return match.household if match else None


def match_guardian(existing: list, taken: set[int], guardian, g_id: str, phone: str) -> tuple:
    """The household's guardian an input names — the one it points at (``guardian_id``), else by
    ID number, then phone, then name, skipping
    the rows already matched (``taken`` holds their ``id()``) — or None for a new one; and the
    values to write. An input without a number keeps the number already on file.
    Shared by _sync_guardians and registry.bulk."""
    id_cols = identity.id_columns(g_id)
    phone_cols = identity.phone_columns(phone)
    match = None
    if getattr(guardian, "guardian_id", None):
        match = next((r for r in existing if id(r) not in taken and r.pk == guardian.guardian_id), None)
    for row in existing if match is None else ():
        if id(row) in taken:
            continue
        if (g_id and row.id_hash == id_cols["id_hash"]) or (
            phone and row.phone_hash == phone_cols["phone_hash"]
        ):
            match = row
            break
    if match is None:
        match = next((r for r in existing if id(r) not in taken and r.name == guardian.name.strip()), None)
    fields = {
        "name": guardian.name.strip(),
        "relationship": guardian.relationship,
        "is_primary": bool(guardian.is_primary),
    }
    if g_id or match is None:
        fields.update(id_cols)
    if phone or match is None:
        fields.update(phone_cols)
    return match, fields


def _sync_guardians(
    household: Household, guardians: list, *, remove_missing: bool, new: bool = False
) -> list[Guardian]:
    """Update the household's guardians from the input: match by ID, phone, then name.
    Returns the household's guardians afterwards."""
    existing = [] if new else list(household.guardians.all())
    kept: set[int] = set()
    for guardian, g_id, phone in guardians:
        match, fields = match_guardian(
            existing, {id(r) for r in existing if r.pk in kept}, guardian, g_id, phone
        )
        if match is None:
            match = Guardian.objects.create(household=household, **fields)
            existing.append(match)
        else:
            changed = {k: v for k, v in fields.items() if getattr(match, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(match, k, v)
                match.save(update_fields=list(changed))
        kept.add(match.pk)
    if remove_missing:
        household.guardians.exclude(pk__in=kept).delete()
        existing = [g for g in existing if g.pk in kept]
    return existing


# ---------------------------------------------------------------- register and update


def _existing_by_id(id_number: str) -> Child | None:
    if not id_number:
        return None
    return Child.objects.filter(id_hash=identity.id_columns(id_number)["id_hash"]).first()


@transaction.atomic
def child_register(*, actor, data: ChildInput, batch: str = "", on: dt.date | None = None) -> Child:
    """Register a child (一人一档). Raises InvalidChildData, DuplicateChild."""
    on = on or timezone.localdate()
    checked = validate(data, on=on)
    existing = _existing_by_id(checked["id_number"])
    if existing is not None:
        raise DuplicateChild(existing)
    township, village = checked["township"], checked["village"]
    result = _status(data.birth_date, data.hukou_county_code, data.arrival_date, on)
    try:
        # A concurrent registration of the same ID number (two imports of one ledger) passes
        # the check above in both transactions; the unique blind index decides, and the
        # loser gets the same DuplicateChild as if it had come second (its household too is
        # rolled back with the savepoint).
        with transaction.atomic():
            household = _find_household(checked["guardians"], township)
            new_household = household is None
            if new_household:
                household = Household.objects.create(address=data.address, township=township, village=village)
            guardians = _sync_guardians(
                household, checked["guardians"], remove_missing=False, new=new_household
            )
            child = Child.objects.create(
                file_no=reserve_file_numbers(1)[0],
                household=household,
                created_by=actor,
                last_verified_on=on,
                **_child_fields(data, checked),
                **_status_fields(result, on),
            )
    except IntegrityError:
        existing = _existing_by_id(checked["id_number"]) if checked["id_number"] else None
        if existing is None:
            raise
        raise DuplicateChild(existing) from None
    units = {u.pk: u.name for u in (township, village) if u is not None}
    after = snapshot(child, units=units, guardians=guardians)
    record(
        actor=actor,
        action="create",
        obj=child,
        summary=f"登记儿童档案 {child.file_no}",
        changes={k: [None, v] for k, v in after.items() if v not in ("", None)},
        batch=batch,
    )
    child_changed(child=child, actor=actor)
    return child


def close_update(actor, closes: dict[int, dict], on: dt.date) -> dict[int, dict]:
    """Close, through registry.closing, the files whose update ended their status (``closes``:
    {child_id: the ``close`` of update_fields}); the update's own write has moved the version,
    and its audit row and hooks carry the closing. Shared by child_update and registry.bulk."""
    from registry.closing import Closure, close_files

    closures = [
        Closure(pk, close["close_reason"], close["close_note"]) for pk, close in closes.items() if close
    ]
    if not closures:
        return {}
    return close_files(actor=actor, closures=closures, on=on, bump_version=False, audit=False, hooks=False)


def update_fields(current: Child, data: ChildInput, checked: dict, on: dt.date, *, fields: dict):
    """What an update writes: the new field values, the closing of the file when the new facts
    end its status (turning 16, local hukou: 户籍迁入 when the county changed), and whether the
    version moves — only when a value changes, so that re-importing an unchanged ledger does not
    make concurrent editors conflict. Shared by child_update and registry.bulk."""
    if not checked["id_number"] and current.id_hash:
        # An input without an ID number (a department feed, say) never erases the one on file.
        for key in ("id_number", "id_hash", "id_masked"):
            fields.pop(key)
    result = _status(data.birth_date, data.hukou_county_code, data.arrival_date, on)
    fields.update(_status_fields(result, on))
    close = {}
    if (
        current.closed_at is None
        and result.close_reason
        and current.migrant_status in (MigrantStatus.MIGRANT, MigrantStatus.PENDING)
    ):
        reason = result.close_reason
        if reason == CloseReason.LOCAL_HUKOU and current.hukou_county_id != data.hukou_county_code:
            reason = CloseReason.HUKOU_TRANSFERRED
        close = {"closed_at": on, "close_reason": reason, "close_note": result.reason}
    changed = any(k != "status_computed_on" and getattr(current, k) != v for k, v in fields.items())
    return fields, close, 1 if (changed or close) else 0


@transaction.atomic
def child_update(
    *,
    actor,
    child: Child,
    data: ChildInput,
    expected_version: int | None = None,
    batch: str = "",
) -> dict:
    """Apply an input to a file; returns {field: [before, after]}. Raises ConcurrentEdit,
    InvalidChildData, DuplicateChild (another file holds the new ID number)."""
    on = timezone.localdate()
    current = Child.objects.select_for_update().select_related("household").get(pk=child.pk)
    if expected_version is not None and int(expected_version) != current.version:
        raise ConcurrentEdit()
    checked = validate(data, on=on)
    if checked["township"].pk != current.township_id:
        raise InvalidChildData({"township_id": "变更居住乡镇请使用“转移”功能，由转入乡镇的督导员接收"})
    existing = _existing_by_id(checked["id_number"])
    if existing is not None and existing.pk != current.pk:
        raise DuplicateChild(existing)
    before = snapshot(current)
    fields, close, bump = update_fields(current, data, checked, on, fields=_child_fields(data, checked))
    updated = Child.objects.filter(pk=current.pk, version=current.version).update(
        **fields, version=F("version") + bump, updated_at=timezone.now()
    )
    if updated != 1:
        raise ConcurrentEdit()
    closed = close_update(actor, {current.pk: close}, on)
    if data.guardians:
        _sync_guardians(current.household, checked["guardians"], remove_missing=True)
    if fields["village_id"] != current.village_id:
        CensusTask.objects.filter(child_id=current.pk, status=CensusTask.Status.PENDING).update(
            village_id=fields["village_id"]
        )
    if data.address and current.household.address != data.address:
        Household.objects.filter(pk=current.household_id).update(address=data.address)
    child.refresh_from_db()
    after = snapshot(child)
    changes = changes_between(before, after)
    if not changes and not close:
        return {}
    if not bump:
        # Only the guardians changed.
        Child.objects.filter(pk=child.pk).update(version=F("version") + 1)
        child.refresh_from_db()
    if close:
        changes.update(closed[current.pk])
    record(
        actor=actor,
        action="close" if close else "update",
        obj=child,
        summary=f"修改儿童档案 {child.file_no}" + ("，档案因认定条件变化而关闭" if close else ""),
        changes=changes,
        batch=batch,
    )
    child_changed(child=child, actor=actor)
    return changes


def input_from_child(child: Child) -> ChildInput:
    """The ChildInput that reproduces a file (the starting point of an edit or a census update)."""
    return ChildInput(
        name=child.name,
        sex=child.sex,
        birth_date=child.birth_date,
        township_id=child.township_id,
        id_number=child.id_number or "",
        village_id=child.village_id,
        ethnicity=child.ethnicity,
        hukou_address=child.hukou_address,
        hukou_county_code=child.hukou_county_id,
        arrival_date=child.arrival_date,
        address=child.address,
        moved_with=child.moved_with,
        school_stage=child.school_stage,
        school_id=child.school_id,
        school_name=child.school_name,
        grade=child.grade,
        health=child.health,
        disability_category=child.disability_category,
        disability_level=child.disability_level,
        security=list(child.security or []),
        residence_permit=child.residence_permit,
        insurance_place=child.insurance_place,
        housing_difficulty=child.housing_difficulty,
        remarks=child.remarks,
        guardians=[
            GuardianInput(
                name=g.name,
                relationship=g.relationship,
                id_number=g.id_number or "",
                phone=g.phone or "",
                is_primary=g.is_primary,
            )
            for g in child.household.guardians.all()
        ],
        pending_verification=child.pending_verification,
    )


# ---------------------------------------------------------------- close and reopen


@transaction.atomic
def child_close(*, actor, child: Child, reason: str, note: str = "", destination: str = "") -> Child:
    """Close a file at once (the township supervisor or the city; a child director proposes
    instead: registry.closing.closure_propose). The consequences are registry.closing's."""
    from registry.closing import Closure, check_reason, close_files

    if not can(actor, "registry.close", child):
        raise PermissionDenied("只有本乡镇（街道）的督导员或市级管理员可以关闭档案；儿童主任请提交关闭申请")
    check_reason(reason, destination)
    current = Child.objects.select_for_update().get(pk=child.pk)
    if current.closed_at is not None:
        raise RegistryError("该档案已经关闭，无需重复关闭")
    close_files(
        actor=actor,
        closures=[Closure(child.pk, reason, note, destination)],
        on=timezone.localdate(),
    )
    child.refresh_from_db()
    return child


@transaction.atomic
def child_reopen(*, actor, child: Child, note: str = "") -> Child:
    """Reopen a closed file (the child came back, or it was closed by mistake); status recomputed."""
    if child.closed_at is None:
        raise RegistryError("该档案未关闭，无需重新打开")
    on = timezone.localdate()
    result = _status(child.birth_date, child.hukou_county_id, child.arrival_date, on)
    before = CloseReason(child.close_reason).label if child.close_reason else ""
    Child.objects.filter(pk=child.pk).update(
        closed_at=None,
        close_reason="",
        close_note="",
        close_destination="",
        version=F("version") + 1,
        updated_at=timezone.now(),
        **_status_fields(result, on),
    )
    child.refresh_from_db()
    record(
        actor=actor,
        action="update",
        obj=child,
        summary=f"重新打开儿童档案 {child.file_no}",
        changes={"档案状态": [f"已关闭（{before}）", "在档"], "重新打开说明": ["", note]},
    )
    child_changed(child=child, actor=actor)
    return child


# ---------------------------------------------------------------- identifiers


@transaction.atomic
def reveal_identifiers(*, actor, child: Child) -> dict:
    """The full ID and phone numbers, for roles that work with the family; audited."""
    if not can_reveal(actor, child):
        raise PermissionDenied("您的角色无权查看完整证件号码和电话")
    guardians = [
        {"name": g.name, "relationship": g.relationship, "id_number": g.id_number, "phone": g.phone}
        for g in child.household.guardians.all()
    ]
    record(
        actor=actor,
        action="reveal",
        obj=child,
        summary=f"查看儿童档案 {child.file_no} 的完整证件号码和电话",
    )
    return {"id_number": child.id_number, "guardians": guardians}


# ---------------------------------------------------------------- daily status recompute


def _birth_threshold(on: dt.date, years: int) -> dt.date:
    """The latest birth date whose ``years``-th birthday falls on or before ``on``."""
    from registry.status import birthday

    try:
        guess = on.replace(year=on.year - years)
    except ValueError:
        guess = dt.date(on.year - years, 2, 28)
    while birthday(guess + dt.timedelta(days=1), years) <= on:
        guess += dt.timedelta(days=1)
    while birthday(guess, years) > on:
        guess -= dt.timedelta(days=1)
    return guess


CHUNK = 5000


def status_recompute(*, on: dt.date, actor=None, progress=None) -> dict:
    """Recompute every open child's status for ``on`` (the daily task).

    Most work is set-based: the few transitions that dates cause are bulk UPDATEs filtered by
    date thresholds (turned 16, six months of residence reached), so a million children take
    seconds. Rows whose facts are odd (unknown dates, never computed) are recomputed in Python.
    ``progress(step, total)`` is called after each step. The children whose status changed
    are stamped (``updated_at``, ``status_computed_on``) and passed to the other apps' hooks
    (registry.hooks.children_changed) in batches, so their care summary and entitlements follow
    at once.
    """
    from registry.hooks import children_changed
    from registry.status import MIGRANT_AGE_LIMIT

    counts = {"turned_16": 0, "local_hukou": 0, "became_migrant": 0, "recomputed": 0}
    changed: list[int] = []
    now = timezone.now()
    adult_birth = _birth_threshold(on, MIGRANT_AGE_LIMIT)
    home = list(settings.HOME_COUNTY_CODES)
    steps = 4

    def step(n):
        if progress:
            progress(n, steps)

    # 1. Files that end: the 16th birthday reached, or a local hukou recorded. The ids are
    #    read per status through the (migrant_status, birth_date) index, then closed in chunks.
    ending = []
    for status in (MigrantStatus.MIGRANT, MigrantStatus.PENDING):
        live = Child.objects.filter(migrant_status=status, closed_at__isnull=True).order_by()
        ending += [
            (CloseReason.TURNED_16, "已满16周岁", row)
            for row in live.filter(birth_date__lte=adult_birth).values_list("pk", "file_no")
        ]
    # Local hukou: read through the hukou county index alone (few rows), filtered here.
    ending += [
        (CloseReason.LOCAL_HUKOU, "本地户籍（户籍在天门市）", (pk, file_no))
        for pk, file_no, status, closed_at, birth in Child.objects.filter(hukou_county_id__in=home)
        .order_by()
        .values_list("pk", "file_no", "migrant_status", "closed_at", "birth_date")
        if closed_at is None
        and status in (MigrantStatus.MIGRANT, MigrantStatus.PENDING)
        and birth > adult_birth
    ]
    from registry.closing import Closure, close_files

    for start in range(0, len(ending), CHUNK):
        chunk = ending[start : start + CHUNK]
        with transaction.atomic():
            for reason, label in {(r, label) for r, label, _row in chunk}:
                pks = [row[0] for r, _l, row in chunk if r == reason]
                Child.objects.filter(pk__in=pks).update(
                    migrant_status=MigrantStatus.NOT_MIGRANT,
                    status_reason=label,
                    status_computed_on=on,
                    updated_at=now,
                )
                changed.extend(pks)
                counts[reason] += len(pks)
            # The hooks run for every changed child at step 4.
            close_files(
                actor=actor,
                closures=[Closure(pk, reason, label) for reason, label, (pk, _file_no) in chunk],
                on=on,
                batch=f"status-{on.isoformat()}",
                hooks=False,
                automatic=True,
            )
    step(1)

    # 2. Pending children whose six months of residence are reached become migrant.
    becoming = list(
        Child.objects.filter(
            closed_at__isnull=True,
            migrant_status=MigrantStatus.PENDING,
            migrant_from__lte=on,
            birth_date__gt=adult_birth,
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    for start in range(0, len(becoming), CHUNK):
        with transaction.atomic():
            counts["became_migrant"] += Child.objects.filter(
                pk__in=becoming[start : start + CHUNK], migrant_status=MigrantStatus.PENDING
            ).update(
                migrant_status=MigrantStatus.MIGRANT, status_reason="", status_computed_on=on, updated_at=now
            )
    changed.extend(becoming)
    step(2)

    # 3. Rows whose status waits on a date that was still in the future when last computed
    #    (birth or arrival after that day), or never computed, or pending without a date: few,
    #    recomputed one by one.
    #    Files whose facts are simply unknown cannot change with time and are left alone.
    from django.db.models import Q

    waiting = Q(birth_date__gt=F("status_computed_on")) | Q(arrival_date__gt=F("status_computed_on"))
    odd_ids = list(
        Child.objects.filter(
            waiting | Q(status_computed_on__isnull=True), migrant_status=MigrantStatus.NOT_MIGRANT
        )
        .filter(closed_at__isnull=True)
        .order_by()
        .values_list("pk", flat=True)
    ) + list(
        Child.objects.filter(migrant_status=MigrantStatus.PENDING, migrant_from__isnull=True)
        .filter(closed_at__isnull=True)
        .order_by()
        .values_list("pk", flat=True)
    )
    fields = (
        "pk",
        "birth_date",
        "hukou_county_id",
        "arrival_date",
        "migrant_status",
        "status_reason",
        "migrant_from",
        "updated_at",
    )
    for start in range(0, len(odd_ids), CHUNK):
        batch = list(Child.objects.filter(pk__in=odd_ids[start : start + CHUNK]).only(*fields))
        for child in batch:
            result = _status(child.birth_date, child.hukou_county_id, child.arrival_date, on)
            if (result.status, result.reason) != (child.migrant_status, child.status_reason):
                counts["recomputed"] += 1
            if (result.status, result.reason, result.migrant_from) != (
                child.migrant_status,
                child.status_reason,
                child.migrant_from,
            ):
                changed.append(child.pk)
                child.updated_at = now
            child.migrant_status, child.status_reason = result.status, result.reason
            child.migrant_from = result.migrant_from
            child.status_computed_on = on
        with transaction.atomic():
            Child.objects.bulk_update(
                batch,
                ["migrant_status", "status_reason", "migrant_from", "status_computed_on", "updated_at"],
                batch_size=1000,
            )
    step(3)

    # 4. Everyone else is unchanged; their status_computed_on stays the day it last changed
    #    (rewriting a million rows daily would cost more than the whole computation). The
    #    changed ones go to the other apps, a batch at a time.
    changed = sorted(set(changed))
    for start in range(0, len(changed), CHUNK):
        with transaction.atomic():
            children_changed(
                children=Child.objects.filter(pk__in=changed[start : start + CHUNK]), actor=actor
            )
    with transaction.atomic():
        record(
            actor=actor,
            action="system",
            object_type="registry.status",
            object_id=on.isoformat(),
            summary="每日重新计算流动儿童认定状态",
            changes={k: [None, v] for k, v in counts.items()},
        )
    step(4)
    return counts


# ---------------------------------------------------------------- transfers


@transaction.atomic
def transfer_request(
    *, actor, child: Child, to_township: Unit, to_village: Unit | None = None, reason: str
) -> Transfer:
    if not can(actor, "registry.transfer", child):
        raise PermissionDenied("您无权转移该儿童档案")
    if child.closed_at is not None:
        raise RegistryError("档案已关闭，不能转移；如儿童仍在天门，请先重新打开档案")
    if to_township.level != Unit.Level.TOWNSHIP:
        raise InvalidChildData({"to_township": "请选择转入的乡镇（街道）"})
    if to_township.pk == child.township_id:
        raise InvalidChildData({"to_township": "转入乡镇与现居住乡镇相同；同一乡镇内换村请直接修改档案"})
    if to_village is not None and to_village.parent_id != to_township.pk:
        raise InvalidChildData({"to_village": "所选村（社区）不属于转入乡镇，请重新选择"})
    if not reason.strip():
        raise InvalidChildData({"reason": "请填写转移原因"})
    if Transfer.objects.filter(child=child, status=Transfer.Status.PENDING).exists():
        raise RegistryError("该儿童已有一条待接收的转移申请，请等待转入乡镇处理")
    transfer = Transfer.objects.create(
        child=child,
        from_township_id=child.township_id,
        from_village_id=child.village_id,
        to_township=to_township,
        to_village=to_village,
        reason=reason.strip()[:200],
        requested_by=actor,
    )
    record(
        actor=actor,
        action="update",
        obj=child,
        summary=f"申请将儿童档案 {child.file_no} 转至{to_township.name}",
        changes={"转移申请": ["", f"转至{to_township.name}{to_village.name if to_village else ''}"]},
    )
    return transfer


def _check_receiver(actor, transfer: Transfer) -> None:
    if transfer.status != Transfer.Status.PENDING:
        raise RegistryError("该转移申请已处理过，无需重复操作")
    if not (has_capability(actor, "registry.transfer") and unit_in_scope(actor, transfer.to_township)):
        raise PermissionDenied("只有转入乡镇的督导员可以处理该转移申请")


@transaction.atomic
def transfer_accept(*, actor, transfer: Transfer, to_village: Unit | None = None, note: str = "") -> Transfer:
    """The receiving supervisor accepts: the file moves to the township (ownership and
    visibility follow the township); the history stays with the file."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _check_receiver(actor, transfer)
    if Child.objects.select_for_update().filter(pk=transfer.child_id, closed_at__isnull=False).exists():
        raise RegistryError("该儿童档案已关闭，不能接收转移；如儿童确在本乡镇，请先由原乡镇重新打开档案")
    village = to_village or transfer.to_village
    if village is not None and village.parent_id != transfer.to_township_id:
        raise InvalidChildData({"to_village": "所选村（社区）不属于转入乡镇，请重新选择"})
    child = transfer.child
    before = snapshot(child)
    Child.objects.filter(pk=child.pk).update(
        township_id=transfer.to_township_id,
        village_id=village.pk if village else None,
        version=F("version") + 1,
        updated_at=timezone.now(),
    )
    if not Child.objects.filter(
        household_id=child.household_id, township_id=transfer.from_township_id
    ).exists():
        Household.objects.filter(pk=child.household_id).update(
            township_id=transfer.to_township_id, village_id=village.pk if village else None
        )
    CensusTask.objects.filter(child=child, status=CensusTask.Status.PENDING).update(
        township_id=transfer.to_township_id, village_id=village.pk if village else None
    )
    transfer.status = Transfer.Status.ACCEPTED
    transfer.to_village = village
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decision_note = note[:200]
    transfer.save()
    child.refresh_from_db()
    record(
        actor=actor,
        action="approve",
        obj=child,
        summary=f"接收转入的儿童档案 {child.file_no}",
        changes=changes_between(before, snapshot(child)),
    )
    child_changed(child=child, actor=actor)
    return transfer


@transaction.atomic
def transfer_reject(*, actor, transfer: Transfer, note: str) -> Transfer:
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _check_receiver(actor, transfer)
    if not note.strip():
        raise InvalidChildData({"note": "退回转移申请时请说明原因，便于转出乡镇核实"})
    transfer.status = Transfer.Status.REJECTED
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    transfer.decision_note = note.strip()[:200]
    transfer.save()
    record(
        actor=actor,
        action="update",
        obj=transfer.child,
        summary=f"退回儿童档案 {transfer.child.file_no} 的转移申请",
        changes={"转移申请": ["待接收", "已退回"]},
    )
    return transfer


# ---------------------------------------------------------------- census rounds


@transaction.atomic
def census_open(
    *, actor, name: str, period_start: dt.date, period_end: dt.date, deadline: dt.date
) -> CensusRound:
    """Open a round: one verification task per open file, inserted set-based."""
    if not has_capability(actor, "census.manage"):
        raise PermissionDenied("只有市级管理员可以发起摸排")
    errors = {}
    if not name.strip():
        errors["name"] = "请填写摸排名称，例如“2026年秋季摸排”"
    if period_end < period_start:
        errors["period_end"] = "结束日期早于开始日期，请核对"
    if deadline < period_start:
        errors["deadline"] = "完成期限早于开始日期，请核对"
    if errors:
        raise InvalidChildData(errors)
    if CensusRound.objects.filter(status=CensusRound.Status.OPEN).exists():
        raise RegistryError("已有一轮摸排正在进行，请先结束该轮再发起新一轮")
    census = CensusRound.objects.create(
        name=name.strip(),
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        opened_by=actor,
    )
    from django.db import connection

    task_table = CensusTask._meta.db_table
    child_table = Child._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {task_table} (round_id, child_id, township_id, village_id, status, note) "  # noqa: S608
            f"SELECT %s, id, township_id, village_id, %s, '' FROM {child_table} WHERE closed_at IS NULL",
            [census.pk, CensusTask.Status.PENDING],
        )
    total = CensusTask.objects.filter(round=census).count()
    record(
        actor=actor,
        action="create",
        obj=census,
        summary=f"发起摸排“{census.name}”，共 {total} 份在档档案待核实",
        changes={"期间": [None, f"{period_start}～{period_end}"], "完成期限": [None, str(deadline)]},
    )
    return census


@transaction.atomic
def census_close(*, actor, census: CensusRound) -> CensusRound:
    if not has_capability(actor, "census.manage"):
        raise PermissionDenied("只有市级管理员可以结束摸排")
    CensusRound.objects.filter(pk=census.pk).update(status=CensusRound.Status.CLOSED)
    census.refresh_from_db()
    record(actor=actor, action="update", obj=census, summary=f"结束摸排“{census.name}”")
    return census


@transaction.atomic
def census_verify(
    *,
    actor,
    task: CensusTask,
    outcome: str,
    data: ChildInput | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> CensusTask:
    """The director's verdict on one child: confirmed, updated (through child_update), moved,
    not found. Confirmed and updated set the file's last_verified_on."""
    task = CensusTask.objects.select_for_update().select_related("child", "round").get(pk=task.pk)
    child = task.child
    if not can(actor, "census.verify", child):
        raise PermissionDenied("您无权核实该儿童")
    if task.round.status != CensusRound.Status.OPEN:
        raise RegistryError("该轮摸排已结束，不能再核实")
    if outcome not in CensusTask.Status.values or outcome in (
        CensusTask.Status.PENDING,
        CensusTask.Status.CLOSED,
    ):
        raise InvalidChildData({"outcome": "请选择核实结果"})
    if outcome in (CensusTask.Status.MOVED, CensusTask.Status.NOT_FOUND) and not note.strip():
        raise InvalidChildData({"note": "请说明情况（例如迁往何处、走访几次未见）"})
    on = timezone.localdate()
    changes: dict = {}
    if outcome == CensusTask.Status.UPDATED:
        if data is None:
            raise InvalidChildData({"outcome": "选择“核实并更新”时请填写更新后的信息"})
        changes = child_update(actor=actor, child=child, data=data, expected_version=expected_version)
    if outcome in (CensusTask.Status.CONFIRMED, CensusTask.Status.UPDATED):
        Child.objects.filter(pk=child.pk).update(last_verified_on=on, pending_verification=False)
    task.status = outcome
    task.verified_by = actor
    task.verified_at = timezone.now()
    task.note = note.strip()[:200]
    task.save(update_fields=["status", "verified_by", "verified_at", "note"])
    record(
        actor=actor,
        action="update",
        obj=child,
        summary=f"摸排“{task.round.name}”核实儿童档案 {child.file_no}：{CensusTask.Status(outcome).label}",
        changes={
            "摸排核实": ["待核实", CensusTask.Status(outcome).label],
            **({"变更": len(changes)} if changes else {}),
        },
    )
    if outcome in CENSUS_CLOSING_VERDICTS:
        # The verdict alone closes nothing: the township supervisor approves the closure.
        from registry.closing import closure_propose

        closure_propose(
            actor=actor,
            child=child,
            reason=CENSUS_CLOSING_VERDICTS[outcome],
            note=f"摸排“{task.round.name}”{CensusTask.Status(outcome).label}：{task.note}",
            census_task=task,
        )
    return task


#: Census verdicts that propose closing the file, with the closing reason they propose.
CENSUS_CLOSING_VERDICTS = {
    CensusTask.Status.MOVED: CloseReason.MOVED_AWAY,
    CensusTask.Status.NOT_FOUND: CloseReason.NOT_FOUND,
}


# ---------------------------------------------------------------- documents


@transaction.atomic
def document_upload(*, actor, child: Child, file, title: str) -> ChildDocument:
    """Attach a document to the file, within the size limit and the type allowlist."""
    import uuid

    if not can(actor, "registry.edit", child):
        raise PermissionDenied("您无权为该儿童上传材料")
    title = (title or "").strip()
    if not title:
        raise InvalidChildData({"title": "请填写材料名称，例如“居住证复印件”"})
    try:
        kind = check_upload(file, allowed=DOCUMENTS)
    except UploadRejected as exc:
        raise InvalidChildData({"file": exc.message}) from exc
    ext, content_type = kind.ext, kind.content_type
    document = ChildDocument(
        child=child,
        title=title[:100],
        original_name=(file.name or "")[-200:],
        stored_name=f"{uuid.uuid4().hex}.{ext}",
        content_type=content_type,
        size=file.size,
        uploaded_by=actor,
    )
    document.file.save(document.stored_name, file, save=False)
    document.save()
    record(
        actor=actor,
        action="create",
        obj=document,
        summary=f"为儿童档案 {child.file_no} 上传材料",
        changes={"材料": [None, document.title], "类型": [None, ext], "大小": [None, document.size]},
    )
    return document
