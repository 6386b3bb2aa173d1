"""The child's file page: what it lists, and what it costs to open."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.testing import make_child
from registry.selectors import rows_present
from registry.services import document_upload

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


def test_documents_and_transfers_are_listed_only_when_the_file_has_them(
    client, city, login, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    child = make_child(village=city.yuekou_community)
    url = reverse("registry:detail", args=[child.pk])
    login(city.yuekou_supervisor)
    body = client.get(url).content.decode()
    assert "暂无材料" in body and "居住证明" not in body and "务工" not in body
    document_upload(
        actor=city.yuekou_director, child=child, file=SimpleUploadedFile("证明.pdf", PDF), title="居住证明"
    )
    client.post(
        reverse("registry:transfer_request", args=[child.pk]),
        {"to_township": city.duobao.pk, "reason": "务工"},
    )
    body = client.get(url).content.decode()
    assert "居住证明" in body and "暂无材料" not in body
    assert f"{child.township.name} → {city.duobao.name}" in body and "务工" in body


def test_rows_present_says_which_lists_have_rows(city):
    child = make_child(village=city.yuekou_community)
    assert rows_present(child, child.documents.all(), child.household.guardians.all()) == (False, True)


def test_opening_a_file_costs_a_bounded_number_of_queries(client, city, login, django_assert_max_num_queries):
    """A file as most are: a sibling, its care summary and entitlements computed, nothing else.
    Each app's section reads what it shows and skips the lists the file leaves empty."""
    from care.status import refresh_child
    from servicelist.services import entitlements_recompute

    child = make_child(village=city.yuekou_community)
    make_child(village=city.yuekou_community, name="张小红", household=child.household)
    refresh_child(child.pk)
    entitlements_recompute(child=child)
    login(city.yuekou_supervisor)
    url = reverse("registry:detail", args=[child.pk])
    client.get(url)
    # Session, user, second factor, scope; the child (with whether it has documents and
    # transfers); the audit row (5); history; activities; psych right; care summary;
    # entitlements; feeds probe; guardians; siblings; the transfer form's townships; census;
    # the unread messages counted on the menu bar.
    with django_assert_max_num_queries(21):
        body = client.get(url).content.decode()
    assert "张小红" in body and "重点关注与走访" in body and "基本服务与转介" in body


def test_history_lists_changes_through_their_own_index_not_every_read(city, client, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audit.services import record
    from registry.selectors import change_history

    child = make_child(village=city.yuekou_community)
    for _ in range(3):
        record(actor=city.yuekou_director, action="read", obj=child)
    record(actor=city.yuekou_director, action="update", obj=child, summary="修改档案")
    with CaptureQueriesContext(connection) as captured:
        history = change_history(city.yuekou_director, child)
    assert [e.action for e in history] == ["update"]
    if connection.vendor == "sqlite":  # PostgreSQL's choice depends on the table's size
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + captured.captured_queries[0]["sql"])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "audit_object_changes" in plan
