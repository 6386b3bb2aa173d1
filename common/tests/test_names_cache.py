"""The cached pinyin of name parts gives what pypinyin gives for each name."""

from pypinyin import Style, lazy_pinyin

from common.names import _syllables, pinyin_key


def test_cached_syllables_equal_pypinyin_for_repeated_given_names():
    _syllables.cache_clear()
    pinyin_key.cache_clear()
    names = ["黄宇琪", "林宇琪", "单宇琪", "欧阳宇琪", "李明", "王明"]
    for name in names:
        surname = "欧阳" if name.startswith("欧阳") else name[0]
        given = name[len(surname) :]
        assert pinyin_key(name)[len(surname) :] == tuple(lazy_pinyin(given, style=Style.NORMAL))
    assert pinyin_key("单宇琪") == ("shan", "yu", "qi")
    assert _syllables.cache_info().hits > 0  # 宇琪 read once
