"""Identifier columns of a child or guardian: encrypted value, blind index, masked form."""

from __future__ import annotations

import re
import unicodedata

from common import crypto, idnumber
from common.names import pinyin_key

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}\d{7,8})$")


class InvalidPhone(ValueError):
    pass


def id_columns(number: str) -> dict[str, str]:
    """Columns for an already validated, normalised ID number ('' clears them)."""
    if not number:
        return {"id_number": "", "id_hash": "", "id_masked": ""}
    return {
        "id_number": number,
        "id_hash": crypto.blind_index(number, kind="id"),
        "id_masked": idnumber.mask(number),
    }


def id_hash(number: str) -> str:
    return crypto.blind_index(idnumber.normalise(number), kind="id")


def normalise_phone(value: object) -> str:
    """11-digit mobile or a landline with area code; '' when empty. Raises InvalidPhone."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.endswith(".0"):
        text = text[:-2]
    text = re.sub(r"[\s\-()（）]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    if not text:
        return ""
    if not _PHONE.match(text):
        raise InvalidPhone(f"联系电话“{value}”格式不正确：应为11位手机号或带区号的固定电话")
    return text


def phone_columns(phone: str) -> dict[str, str]:
    if not phone:
        return {"phone": "", "phone_hash": "", "phone_masked": ""}
    return {
        "phone": phone,
        "phone_hash": crypto.blind_index(phone, kind="phone"),
        "phone_masked": idnumber.mask_phone(phone),
    }


def phone_hash(phone: str) -> str:
    return crypto.blind_index(phone, kind="phone")


def name_pinyin(name: str) -> str:
    return " ".join(pinyin_key(name))
