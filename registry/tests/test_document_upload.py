import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from audit.models import AuditEvent
from common.testing import make_child
from registry.services import InvalidChildData, document_upload

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes(part="word/document.xml"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(part, "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def test_pdf_and_docx_are_accepted_and_audited(city):
    child = make_child(village=city.yuekou_community)
    doc = document_upload(
        actor=city.yuekou_director, child=child, file=SimpleUploadedFile("证明.pdf", PDF), title="居住证明"
    )
    assert doc.content_type == "application/pdf" and doc.stored_name.endswith(".pdf")
    document_upload(
        actor=city.yuekou_director,
        child=child,
        file=SimpleUploadedFile("a.docx", docx_bytes()),
        title="情况说明",
    )
    assert AuditEvent.objects.filter(action="create", object_type="registry.childdocument").count() == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("virus.exe", b"MZ\x90\x00"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf"),
        ("fake.png", PDF),
        ("fake.xlsx", docx_bytes()),
        ("zip.docx", b"PK\x03\x04garbage"),
    ],
)
def test_type_is_checked_by_content(city, name, content):
    child = make_child(village=city.yuekou_community)
    with pytest.raises(InvalidChildData) as exc:
        document_upload(
            actor=city.yuekou_director, child=child, file=SimpleUploadedFile(name, content), title="x"
        )
    assert "file" in exc.value.errors


@override_settings(DOCUMENT_MAX_BYTES=100)
def test_size_limit(city):
    child = make_child(village=city.yuekou_community)
    with pytest.raises(InvalidChildData) as exc:
        document_upload(
            actor=city.yuekou_director,
            child=child,
            file=SimpleUploadedFile("big.png", PNG * 10),
            title="照片",
        )
    assert "不能超过" in exc.value.errors["file"]


def test_out_of_scope_cannot_upload(city):
    child = make_child(village=city.yuekou_community)
    with pytest.raises(PermissionDenied):
        document_upload(
            actor=city.duobao_supervisor, child=child, file=SimpleUploadedFile("a.png", PNG), title="照片"
        )
