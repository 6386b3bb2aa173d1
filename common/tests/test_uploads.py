"""One check for every uploaded document: type by extension and content, size, emptiness."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from common.uploads import DOCUMENTS, OFFICE_LEGACY, UploadRejected, check_upload, content_type_of

PDF = b"%PDF-1.4 synthetic"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 8
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 8


def office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{part}document.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "ext"),
    [
        ("a.pdf", PDF, "pdf"),
        ("照片.JPEG", JPG, "jpg"),
        ("b.png", PNG, "png"),
        ("c.docx", office("word/"), "docx"),
        ("d.xlsx", office("xl/"), "xlsx"),
    ],
)
def test_accepts_real_documents(name, content, ext):
    assert check_upload(SimpleUploadedFile(name, content), max_bytes=10_000).ext == ext


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("virus.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("noext", PDF, "无扩展名"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "内容与扩展名不符"),
        ("fake.png", PDF, "内容与扩展名不符"),
        ("word-as-excel.xlsx", office("word/"), "内容与扩展名不符"),
        ("zip.docx", b"PK\x03\x04garbage", "内容与扩展名不符"),
        ("empty.pdf", b"", "是空的"),
        ("big.pdf", PDF + b"x" * 20_000, "不能超过"),
        ("old.doc", OLE, "不支持的文件类型"),
    ],
)
def test_refuses_with_a_reason(name, content, reason):
    with pytest.raises(UploadRejected) as exc:
        check_upload(SimpleUploadedFile(name, content), allowed=DOCUMENTS, max_bytes=10_000)
    assert reason in exc.value.message


def test_legacy_office_when_allowed_and_content_types():
    kind = check_upload(
        SimpleUploadedFile("old.doc", OLE), allowed=(*DOCUMENTS, *OFFICE_LEGACY), max_bytes=100
    )
    assert kind.content_type == "application/msword"
    assert content_type_of("abc.pdf") == "application/pdf"
    assert content_type_of("abc.bin") == "application/octet-stream"


def test_nothing_chosen():
    with pytest.raises(UploadRejected, match="请选择"):
        check_upload(None)
