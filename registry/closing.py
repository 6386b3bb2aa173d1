"""Closing a file: one function, one set of consequences, for every path that closes one.

A file closes when a user closes it (``child_close``), when an update's facts end its status
(``child_update`` and the bulk path: turning 16, a local hukou), when the daily recompute finds
the 16th birthday reached (``status_recompute``), and when the township supervisor approves a
closure proposal (a census verdict of 已迁离 or 查无此人, or a child director's request). Each of
them calls ``close_files``, so a closed file always ends the same way:

* the reason, the date, the note and the destination are kept on the file;
* a pending transfer is withdrawn (``transferring a closed file`` is refused by transfer_accept);
* the pending census tasks are settled (档案已关闭), and pending closure proposals withdrawn;
* the other apps' after-change hooks run (registry.hooks): the care summary row loses its due
  dates, so the child leaves every work list, and the entitlements follow;
* the audit row names each of these consequences.

Proposals: ``closure_propose`` records one (at most one pending per child); the township
supervisor (or the city) decides it with ``closure_decide``; approval closes through
``close_files``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from access.policy import can
from audit.services import Entry, record, record_many
from registry.choices import CloseReason
from registry.models import CensusTask, Child, ClosureProposal, Transfer
from registry.services import InvalidChildData, RegistryError

#: Reasons a person may give; the others (turned 16, local hukou) follow from the facts.
REASONS_BY_HAND = tuple(v for v in CloseReason.values if v not in ("turned_16", "local_hukou"))
TRANSFER_WITHDRAWN = "档案已关闭，转移申请自动撤回"


@dataclass(frozen=True)
class Closure:
    """One file to close, with the reason and what is kept with it."""

    child_id: int
    reason: str
    note: str = ""
    destination: str = ""


def check_reason(reason: str, destination: str) -> None:
    """The rules a closing reason given by a person must meet (a closing, a proposal, a decision)."""
    if reason not in REASONS_BY_HAND:
        raise InvalidChildData({"reason": f"关闭原因“{reason}”无效，请从列表中选择"})
    if reason == CloseReason.MOVED_AWAY and not destination.strip():
        raise InvalidChildData(
            {"destination": "迁离天门时请填写迁往地（省、市、县）；去向不明的请填写“不详”"}
        )


def _label(reason: str) -> str:
    return str(CloseReason(reason).label)


def close_files(
    *,
    actor,
    closures: Sequence[Closure],
    on: dt.date,
    batch: str = "",
    bump_version: bool = True,
    audit: bool = True,
    hooks: bool = True,
    automatic: bool = False,
) -> dict[int, dict]:
    """Close the open files among ``closures`` with every consequence (module docstring).

    Returns ``{child_id: changes}`` for the files it closed (a file already closed is left as it
    is). Set-based: a fixed number of statements per reason, whatever the number of files.
    Callers that write the file's other changes themselves (an update that closes) pass
    ``bump_version=False`` when their own write already moved the version, ``audit=False`` to put
    the returned changes into their own audit row, and ``hooks=False`` when they run the hooks.
    """
    by_id = {c.child_id: c for c in closures}
    if not by_id:
        return {}
    now = timezone.now()
    with transaction.atomic():
        open_files = dict(
            Child.objects.filter(pk__in=sorted(by_id), closed_at__isnull=True)
            .order_by()
            .values_list("pk", "file_no")
        )
        if not open_files:
            return {}
        groups: dict[tuple, list[int]] = defaultdict(list)
        for pk in open_files:
            c = by_id[pk]
            groups[(c.reason, c.note.strip()[:200], c.destination.strip()[:100])].append(pk)
        for (reason, note, destination), pks in groups.items():
            Child.objects.filter(pk__in=pks, closed_at__isnull=True).update(
                closed_at=on,
                close_reason=reason,
                close_note=note,
                close_destination=destination,
                updated_at=now,
                **({"version": F("version") + 1} if bump_version else {}),
            )
        ids = sorted(open_files)
        transferring = set(
            Transfer.objects.filter(child_id__in=ids, status=Transfer.Status.PENDING).values_list(
                "child_id", flat=True
            )
        )
        if transferring:
            Transfer.objects.filter(child_id__in=sorted(transferring), status=Transfer.Status.PENDING).update(
                status=Transfer.Status.WITHDRAWN,
                decided_by=actor,
                decided_at=now,
                decision_note=TRANSFER_WITHDRAWN,
            )
        tasks = set(
            CensusTask.objects.filter(child_id__in=ids, status=CensusTask.Status.PENDING).values_list(
                "child_id", flat=True
            )
        )
        for reason, pks in _by_reason(groups).items():
            settled = [pk for pk in pks if pk in tasks]
            if settled:
                CensusTask.objects.filter(child_id__in=settled, status=CensusTask.Status.PENDING).update(
                    status=CensusTask.Status.CLOSED, note=f"档案已关闭：{_label(reason)}"
                )
        proposed = set(
            ClosureProposal.objects.filter(
                child_id__in=ids, status=ClosureProposal.Status.PENDING
            ).values_list("child_id", flat=True)
        )
        if proposed:
            ClosureProposal.objects.filter(
                child_id__in=sorted(proposed), status=ClosureProposal.Status.PENDING
            ).update(status=ClosureProposal.Status.WITHDRAWN, decided_by=actor, decided_at=now)

        changes: dict[int, dict] = {}
        for pk in ids:
            c = by_id[pk]
            change = {"档案状态": ["在档", f"已关闭（{_label(c.reason)}）"]}
            if c.note.strip():
                change["关闭说明"] = ["", c.note.strip()[:200]]
            if c.destination.strip():
                change["迁往地"] = ["", c.destination.strip()[:100]]
            if pk in transferring:
                change["转移申请"] = ["待接收", "已撤回（档案关闭）"]
            if pk in tasks:
                change["摸排核实"] = ["待核实", "档案已关闭"]
            if pk in proposed:
                change["关闭申请"] = ["待审批", "已撤销（档案已关闭）"]
            changes[pk] = change
        if audit:
            record_many(
                actor=actor,
                entries=[
                    Entry(
                        "close",
                        "registry.child",
                        str(pk),
                        (
                            f"儿童档案 {open_files[pk]} 自动关闭：{_label(by_id[pk].reason)}"
                            if automatic
                            else f"关闭儿童档案 {open_files[pk]}：{_label(by_id[pk].reason)}"
                        ),
                        changes[pk],
                    )
                    for pk in ids
                ],
                batch=batch,
            )
        if hooks:
            from registry.hooks import child_changed, children_changed

            if len(ids) == 1:
                child_changed(child=Child.objects.get(pk=ids[0]), actor=actor)
            else:
                children_changed(children=Child.objects.filter(pk__in=ids), actor=actor)
    return changes


def _by_reason(groups: dict[tuple, list[int]]) -> dict[str, list[int]]:
    reasons: dict[str, list[int]] = defaultdict(list)
    for (reason, _note, _destination), pks in groups.items():
        reasons[reason].extend(pks)
    return reasons


# ---------------------------------------------------------------- proposals


def can_close(user, child: Child) -> bool:
    return can(user, "registry.close", child)


@transaction.atomic
def closure_propose(
    *,
    actor,
    child: Child,
    reason: str,
    note: str = "",
    destination: str = "",
    census_task: CensusTask | None = None,
) -> ClosureProposal:
    """Propose closing a file. From a census verdict (``census_task``) the destination may be left
    to the supervisor; a request names it when the child left Tianmen. A pending proposal of the
    same child is returned as it is (one at a time)."""
    if census_task is not None:
        allowed = can(actor, "census.verify", child)
    else:
        allowed = can(actor, "registry.close_propose", child) or can_close(actor, child)
    if not allowed:
        raise PermissionDenied("您无权申请关闭该儿童档案")
    if child.closed_at is not None:
        raise RegistryError("该档案已经关闭，无需申请")
    if census_task is None:
        check_reason(reason, destination)
        if not note.strip():
            raise InvalidChildData({"note": "请说明申请关闭的情况（例如迁往何处、何时离开）"})
    elif reason not in CloseReason.values:
        raise RegistryError(f"关闭原因“{reason}”无效")
    existing = ClosureProposal.objects.filter(child=child, status=ClosureProposal.Status.PENDING).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            proposal = ClosureProposal.objects.create(
                child=child,
                reason=reason,
                note=note.strip()[:200],
                destination=destination.strip()[:100],
                source=ClosureProposal.Source.CENSUS
                if census_task is not None
                else ClosureProposal.Source.REQUEST,
                census_task=census_task,
                proposed_by=actor,
            )
    except IntegrityError:
        # A concurrent proposal of the same child won: one pending proposal per child.
        return ClosureProposal.objects.get(child=child, status=ClosureProposal.Status.PENDING)
    record(
        actor=actor,
        action="create",
        obj=proposal,
        summary=f"申请关闭儿童档案 {child.file_no}：{_label(reason)}",
        changes={
            "关闭申请": ["", f"待审批（{_label(reason)}）"],
            **({"说明": ["", proposal.note]} if proposal.note else {}),
        },
    )
    return proposal


@transaction.atomic
def closure_decide(
    *,
    actor,
    proposal: ClosureProposal,
    approve: bool,
    reason: str = "",
    destination: str = "",
    note: str = "",
) -> ClosureProposal:
    """The township supervisor (or the city) approves or rejects a proposal. Approving closes the
    file through ``close_files``, with the reason (the proposal's unless changed), the destination
    and the proposal's note kept on the file; rejecting needs a note and leaves the file open."""
    proposal = ClosureProposal.objects.select_for_update().select_related("child").get(pk=proposal.pk)
    child = proposal.child
    if not can_close(actor, child):
        raise PermissionDenied("只有本乡镇（街道）的督导员或市级管理员可以审批关闭档案")
    if proposal.status != ClosureProposal.Status.PENDING:
        raise RegistryError("该申请已处理过，无需重复操作")
    note = (note or "").strip()[:200]
    now = timezone.now()
    if not approve:
        if not note:
            raise InvalidChildData({"note": "驳回时请填写审批意见，便于儿童主任继续核实"})
        proposal.status = ClosureProposal.Status.REJECTED
        proposal.decided_by, proposal.decided_at, proposal.decision_note = actor, now, note
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(
            actor=actor,
            action="update",
            obj=proposal,
            summary=f"驳回关闭儿童档案 {child.file_no} 的申请",
            changes={"关闭申请": ["待审批", "已驳回"], "审批意见": ["", note]},
        )
        return proposal
    reason = reason or proposal.reason
    destination = (destination or proposal.destination).strip()
    check_reason(reason, destination)
    Child.objects.select_for_update().filter(pk=child.pk).first()
    proposal.status = ClosureProposal.Status.APPROVED
    proposal.reason, proposal.destination = reason, destination[:100]
    proposal.decided_by, proposal.decided_at, proposal.decision_note = actor, now, note
    proposal.save(
        update_fields=["status", "reason", "destination", "decided_by", "decided_at", "decision_note"]
    )
    record(
        actor=actor,
        action="approve",
        obj=proposal,
        summary=f"同意关闭儿童档案 {child.file_no}：{_label(reason)}",
        changes={"关闭申请": ["待审批", "已同意"], **({"审批意见": ["", note]} if note else {})},
    )
    closed = close_files(
        actor=actor,
        closures=[Closure(child.pk, reason, proposal.note, destination)],
        on=timezone.localdate(),
    )
    if not closed:
        raise RegistryError("该档案已经关闭，无需审批")
    return proposal
