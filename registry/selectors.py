"""Reads of the registry. Every function takes the user and starts from access.policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from access.policy import children_visible, scope_of, scoped_by_child, unit_in_scope
from common import idnumber
from common.names import EXACT, PINYIN_CLOSE, SAME_PINYIN, name_similarity
from places.models import Unit
from registry import identity
from registry.inputs import ChildInput
from registry.models import CensusRound, CensusTask, Child, ChildDocument, Guardian, Transfer
from registry.status import add_months

STALE_MONTHS = 6


def stale_before(on: dt.date | None = None) -> dt.date:
    """Files verified before this date are stale (not verified for six months)."""
    return add_months(on or timezone.localdate(), -STALE_MONTHS)


def _prefix(field: str, text: str) -> dict:
    """A prefix match as a range, which every database answers from the column's index
    (SQLite does not use an index for LIKE ... ESCAPE)."""
    return {f"{field}__gte": text, f"{field}__lt": text + "\U0010ffff"}


def child_list(
    user,
    *,
    q: str = "",
    township_id: int | None = None,
    village_id: int | None = None,
    status: str = "",
    state: str = "open",
    stale: bool = False,
) -> QuerySet:
    """The searchable list. Every filter maps to an indexed column: an ID number is looked up
    through its blind index, a file number exactly, a name by prefix."""
    qs = children_visible(user)
    if state == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif state == "closed":
        qs = qs.filter(closed_at__isnull=False)
    if township_id:
        qs = qs.filter(township_id=township_id)
    if village_id:
        qs = qs.filter(village_id=village_id)
    if status:
        qs = qs.filter(migrant_status=status)
    if stale:
        qs = qs.filter(Q(last_verified_on__lt=stale_before()) | Q(last_verified_on__isnull=True))
    q = (q or "").strip()
    if q:
        normalised = idnumber.normalise(q)
        if len(normalised) == 18 and normalised[:17].isdigit():
            qs = qs.filter(id_hash=identity.id_hash(normalised))
        elif "-" in q and q.replace("-", "").isdigit():
            qs = qs.filter(file_no=q)
        elif q.isascii() and q.replace(" ", "").isalpha():
            qs = qs.filter(**_prefix("name_pinyin", " ".join(q.lower().split())))
        else:
            qs = qs.filter(**_prefix("name", q))
    return qs.select_related("township", "village").order_by("-id")


def child_file(user, pk, **annotations) -> Child:
    """The child with its household and places, or 404. ``annotations`` are read in the same
    query (the file page asks there whether the file has documents and transfers)."""
    from access.policy import get_child_or_404

    qs = children_visible(user).select_related("household", "township", "village", "school", "hukou_county")
    return get_child_or_404(user, pk, queryset=qs.annotate(**annotations) if annotations else qs)


def file_lists_present() -> dict:
    """Annotations for ``child_file``: whether the file has documents and transfers, which most
    files have not (the page then reads neither)."""
    return {
        "has_documents": Exists(ChildDocument.objects.filter(child=OuterRef("pk"))),
        "has_transfers": Exists(Transfer.objects.filter(child=OuterRef("pk"))),
    }


def rows_present(child: Child, *querysets: QuerySet) -> tuple[bool, ...]:
    """Whether each of these querysets (rows about a child the caller has opened) has a row, in
    one query: a file page skips the lists most files leave empty instead of reading each."""
    row = Child.objects.filter(pk=child.pk).values_list(*(Exists(qs) for qs in querysets)).first()
    return tuple(bool(v) for v in row) if row is not None else (False,) * len(querysets)


def children_visible_siblings(user, child: Child) -> QuerySet:
    """Other children of the same household that the user may open."""
    return children_visible(user).filter(household_id=child.household_id).exclude(pk=child.pk)


# ---------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class IdMatch:
    """An exact ID match: the child when the user may open it, else only whom to contact."""

    child: Child | None
    township_name: str
    in_scope: bool

    @property
    def message(self) -> str:
        if self.in_scope:
            return f"该儿童已有档案（档案编号 {self.child.file_no}），请打开原档案修改，不要重复登记"
        return f"该儿童已在其他乡镇登记，请联系{self.township_name}的儿童督导员核实"


def id_match(user, id_number: str) -> IdMatch | None:
    """Whether an ID number already has a file, without leaking an out-of-scope file."""
    number = idnumber.normalise(id_number)
    if not number:
        return None
    existing = Child.objects.filter(id_hash=identity.id_hash(number)).select_related("township").first()
    if existing is None:
        return None
    in_scope = children_visible(user).filter(pk=existing.pk).exists()
    return IdMatch(
        child=existing if in_scope else None, township_name=existing.township.name, in_scope=in_scope
    )


@dataclass(frozen=True)
class LikelyDuplicate:
    child: Child
    reason: str


def likely_duplicates(user, data: ChildInput, *, limit: int = 10) -> list[LikelyDuplicate]:
    """Files in the user's scope that may be the same child: same birth date and the same or a
    homophone name, or a guardian with the same phone number."""
    visible = children_visible(user)
    found: dict[int, LikelyDuplicate] = {}
    if data.birth_date and data.name:
        for child in visible.filter(birth_date=data.birth_date).select_related("township", "village")[:200]:
            level = name_similarity(data.name, child.name)
            if level in (EXACT, SAME_PINYIN, PINYIN_CLOSE):
                label = {EXACT: "同名", SAME_PINYIN: "同音", PINYIN_CLOSE: "读音相近"}[level]
                found[child.pk] = LikelyDuplicate(child, f"出生日期相同且姓名{label}")
    phones = []
    for guardian in data.guardians or []:
        try:
            phone = identity.normalise_phone(guardian.phone)
        except identity.InvalidPhone:
            continue
        if phone:
            phones.append(identity.phone_hash(phone))
    if phones:
        households = Guardian.objects.filter(phone_hash__in=phones).values("household_id")
        for child in visible.filter(household_id__in=households).select_related("township", "village")[:50]:
            found.setdefault(child.pk, LikelyDuplicate(child, "监护人电话相同（可能是兄弟姐妹或同一儿童）"))
    return list(found.values())[:limit]


# ---------------------------------------------------------------- history


def change_history(user, child: Child, *, limit: int = 200) -> list:
    """The audit rows about the file (who, when, what, before → after), newest first."""
    from audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(object_type="registry.child", object_id=str(child.pk))
        .exclude(action="read")
        .select_related("actor")
        .order_by("-seq")[:limit]
    )


# ---------------------------------------------------------------- transfers


def transfers_incoming(user) -> QuerySet:
    """Pending transfers into the townships the user supervises (the receiving inbox)."""
    scope = scope_of(user)
    qs = Transfer.objects.filter(status=Transfer.Status.PENDING).select_related(
        "child", "from_township", "to_township", "to_village", "requested_by"
    )
    if scope.city:
        return qs
    return qs.filter(to_township_id__in=scope.township_ids)


def transfers_outgoing(user) -> QuerySet:
    return scoped_by_child(user, Transfer.objects.all()).select_related(
        "child", "from_township", "to_township", "to_village", "decided_by"
    )


def transfer_for_decision(user, pk) -> Transfer:
    from django.http import Http404

    transfer = transfers_incoming(user).filter(pk=pk).first()
    if transfer is None:
        raise Http404("未找到该转移申请，或您无权处理")
    return transfer


# ---------------------------------------------------------------- census


def current_round() -> CensusRound | None:
    return CensusRound.objects.filter(status=CensusRound.Status.OPEN).order_by("-id").first()


def census_tasks(user, census: CensusRound) -> QuerySet:
    """The round's tasks in the user's area (the same township/village rule as
    access.policy.child_scope_q), read from the task's own township and village columns so that
    progress counts use the task indexes alone."""
    scope = scope_of(user)
    qs = CensusTask.objects.filter(round=census)
    if not ({"census.verify", "census.manage"} & scope.capabilities):
        return qs.none()
    if scope.city:
        return qs
    q = Q(pk__in=[])
    if scope.township_ids:
        q |= Q(township_id__in=scope.township_ids)
    if scope.village_ids:
        q |= Q(village_id__in=scope.village_ids)
    return qs.filter(q)


def _percent(total: int, pending: int) -> float:
    return round(100 * (total - pending) / total, 1) if total else 100.0


def census_progress(user, census: CensusRound, *, township: Unit | None = None) -> list[dict]:
    """Completion per township (or per village of one township): total, done, percent."""
    tasks = census_tasks(user, census)
    pending_q = Q(status=CensusTask.Status.PENDING)
    by_unit: dict = {}
    scope = scope_of(user)
    if township is None and not scope.city:
        # One indexed count per township of the user's area (a GROUP BY would walk the round).
        township_ids = set(scope.township_ids) | set(
            Unit.objects.filter(pk__in=scope.village_ids).values_list("parent_id", flat=True)
        )
        for township_id in township_ids:
            counts = tasks.filter(township_id=township_id).aggregate(
                total=Count("id"), pending=Count("id", filter=pending_q)
            )
            if counts["total"]:
                by_unit[township_id] = (counts["total"], counts["pending"])
    else:
        key = "village_id" if township is not None else "township_id"
        if township is not None:
            if not unit_in_scope(user, township):
                return []
            tasks = tasks.filter(township_id=township.pk)
        rows = tasks.values(key).annotate(total=Count("id"), pending=Count("id", filter=pending_q)).order_by()
        for row in rows:
            by_unit[row[key]] = (row["total"], row["pending"])
    names = dict(Unit.objects.filter(pk__in=[k for k in by_unit if k]).values_list("pk", "name"))
    groups = {k: (names.get(k, "未填村（社区）"), t, p) for k, (t, p) in by_unit.items()}
    result = [
        {
            "unit_id": unit_id,
            "name": name,
            "total": total,
            "done": total - pending,
            "pending": pending,
            "percent": _percent(total, pending),
        }
        for unit_id, (name, total, pending) in groups.items()
    ]
    return sorted(result, key=lambda r: (r["percent"], r["name"]))


def census_summary(user, census: CensusRound) -> dict:
    counts = census_tasks(user, census).aggregate(
        total=Count("id"), pending=Count("id", filter=Q(status=CensusTask.Status.PENDING))
    )
    total, pending = counts["total"] or 0, counts["pending"] or 0
    return {
        "total": total,
        "pending": pending,
        "done": total - pending,
        "percent": _percent(total, pending),
    }


def census_overdue(user, census: CensusRound, *, on: dt.date | None = None) -> QuerySet:
    """Children not verified by the round's deadline (empty before the deadline)."""
    on = on or timezone.localdate()
    if on <= census.deadline:
        return CensusTask.objects.none()
    return census_tasks(user, census).filter(status=CensusTask.Status.PENDING)


def census_worklist(user, census: CensusRound, *, status: str = CensusTask.Status.PENDING) -> QuerySet:
    """The director's verification list: the tasks of the user's villages."""
    qs = census_tasks(user, census).select_related("child", "child__village", "village")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("id")


def stale_children(user, *, on: dt.date | None = None) -> QuerySet:
    """Open files whose record has not been verified for six months."""
    return (
        children_visible(user)
        .filter(closed_at__isnull=True)
        .filter(Q(last_verified_on__lt=stale_before(on)) | Q(last_verified_on__isnull=True))
        .order_by("last_verified_on", "id")
    )
