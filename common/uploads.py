"""Checking an uploaded document before it is stored: present, not empty, within the size
limit, an allowed type — and the file's first bytes must agree with its extension (a renamed
program is refused). Used by the child file's documents, school activity attachments and the
documents of a guardianship intervention."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

_OLE = b"\xd0\xcf\x11\xe0"  # the compound-file header of .doc and .xls


@dataclass(frozen=True)
class FileType:
    ext: str  # as stored, without the dot ("jpeg" is stored as "jpg")
    content_type: str
    signatures: tuple[bytes, ...]
    zip_part: str = ""  # an Office Open XML file must hold this folder
    label: str = ""


FILE_TYPES = {
    "pdf": FileType("pdf", "application/pdf", (b"%PDF-",), label="PDF"),
    "jpg": FileType("jpg", "image/jpeg", (b"\xff\xd8\xff",), label="JPG"),
    "jpeg": FileType("jpg", "image/jpeg", (b"\xff\xd8\xff",), label="JPG"),
    "png": FileType("png", "image/png", (b"\x89PNG\r\n\x1a\n",), label="PNG"),
    "docx": FileType(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
        zip_part="word/",
        label="Word（docx）",
    ),
    "xlsx": FileType(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
        zip_part="xl/",
        label="Excel（xlsx）",
    ),
    "doc": FileType("doc", "application/msword", (_OLE,), label="Word（doc）"),
    "xls": FileType("xls", "application/vnd.ms-excel", (_OLE,), label="Excel（xls）"),
}

DOCUMENTS = ("pdf", "jpg", "jpeg", "png", "docx", "xlsx")
OFFICE_LEGACY = ("doc", "xls")


class UploadRejected(ValueError):
    """The upload is refused; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def extension(name: str) -> str:
    return Path(name or "").suffix.lower().lstrip(".")


def content_type_of(stored_name: str) -> str:
    """The content type to serve a stored file with."""
    kind = FILE_TYPES.get(extension(stored_name))
    return kind.content_type if kind else "application/octet-stream"


def _allowed_text(allowed: tuple[str, ...]) -> str:
    labels = []
    for ext in allowed:
        label = FILE_TYPES[ext].label
        if label not in labels:
            labels.append(label)
    return "、".join(labels)


def _holds_part(file, part: str) -> bool:
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            return any(n.startswith(part) for n in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)


def check_upload(file, *, allowed: tuple[str, ...] = DOCUMENTS, max_bytes: int | None = None) -> FileType:
    """The type of an acceptable upload; UploadRejected with the reason otherwise."""
    if file is None:
        raise UploadRejected("请选择要上传的文件")
    name = Path(file.name or "").name
    limit = settings.DOCUMENT_MAX_BYTES if max_bytes is None else max_bytes
    ext = extension(name)
    if ext not in allowed:
        shown = f"“.{ext}”" if ext else "（无扩展名）"
        raise UploadRejected(f"不支持的文件类型{shown}，请上传 {_allowed_text(allowed)} 文件")
    if file.size == 0:
        raise UploadRejected(f"文件“{name}”是空的，请重新选择")
    if file.size > limit:
        raise UploadRejected(
            f"文件“{name}”过大（{file.size / 1048576:.1f} MB），单个文件不能超过 "
            f"{limit // 1048576} MB，请压缩后再上传"
        )
    kind = FILE_TYPES[ext]
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not any(head.startswith(signature) for signature in kind.signatures) or (
        kind.zip_part and not _holds_part(file, kind.zip_part)
    ):
        raise UploadRejected(
            f"文件“{name}”的内容与扩展名不符，不是真正的 .{ext} 文件，请上传真实的 {_allowed_text(allowed)} 文件"
        )
    return kind
