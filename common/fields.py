"""Model fields that store personal identifiers encrypted."""

from django.db import models

from common import crypto


class EncryptedTextField(models.TextField):
    """Stores AES-GCM ciphertext; Python code sees the plaintext.

    Lookups on this field are meaningless (ciphertexts differ for equal values);
    use the companion blind-index column instead.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
