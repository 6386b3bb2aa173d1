"""Chinese personal names: normalisation, surnames, toneless pinyin, comparison levels.

Record linkage compares names by sound as well as by characters: staff type
张玮 for 张伟 and nobody notices.  pypinyin reads characters in their most
common reading, which is wrong for many surnames (单 is shàn, not dān; 区 is
ōu, not qū), so the surname is split off first and read from an override table.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Separators seen in names: spaces, the interpunct of minority names (·, ・, •, ‧,
# and the full stop people type instead).  NFKC already folds full-width forms.
_SEPARATORS = re.compile(r"[\s\u00b7\u2022\u2027\u30fb\u2219\u22c5\u0387.\uff0e\u3002\-_]+")

# Compound (two-character) surnames, the common ones first.
COMPOUND_SURNAMES = frozenset(
    """欧阳 司马 诸葛 上官 尉迟 东方 皇甫 令狐 慕容 司徒 夏侯 公孙 长孙 宇文 轩辕 端木 独孤
    南宫 西门 澹台 公冶 万俟 闻人 呼延 申屠 太史 钟离 拓跋 百里 东郭 司空 淳于 单于 赫连
    濮阳 公羊 仲孙 乐正 巫马 漆雕 壤驷 公良 宗政 鲜于 闾丘 亓官 司寇 子车 左丘 第五 梁丘""".split()
)

# Surname readings that differ from pypinyin's default reading of the character.
SURNAME_PINYIN: dict[str, tuple[str, ...]] = {
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "查": ("zha",),
    "仇": ("qiu",),
    "区": ("ou",),
    "覃": ("qin",),
    "翟": ("zhai",),
    "朴": ("piao",),
    "盖": ("ge",),
    "乐": ("yue",),
    "缪": ("miao",),
    "秘": ("bi",),
    "种": ("chong",),
    "员": ("yun",),
    "召": ("shao",),
    "宿": ("su",),
    "繁": ("po",),
    "句": ("gou",),
    "能": ("nai",),
    "隗": ("wei",),
    "折": ("she",),
    "厍": ("she",),
    "冼": ("xian",),
    "洗": ("xian",),
    "薄": ("bo",),
    "柏": ("bai",),
    "朝": ("chao",),
    "重": ("chong",),
    "藏": ("zang",),
    "便": ("pian",),
    "卜": ("bu",),
    "长": ("chang",),
    "尉": ("wei",),
    "谌": ("chen",),
    "啜": ("chuai",),
    "佴": ("nai",),
    "阚": ("kan",),
    "蕃": ("pi",),
    "黑": ("he",),
    "那": ("na",),
    "任": ("ren",),
    "华": ("hua",),
    "纪": ("ji",),
    "燕": ("yan",),
    "过": ("guo",),
    "沈": ("shen",),
    "车": ("che",),
    "石": ("shi",),
    "都": ("du",),
    "尉迟": ("yu", "chi"),
    "万俟": ("mo", "qi"),
    "长孙": ("zhang", "sun"),
    "单于": ("chan", "yu"),
    "澹台": ("tan", "tai"),
    "令狐": ("ling", "hu"),
    "乐正": ("yue", "zheng"),
    "句龙": ("gou", "long"),
}

# Comparison levels, from most to least similar.
EXACT = "exact"
SAME_PINYIN = "pinyin"
PINYIN_CLOSE = "close"
SURNAME_ONLY = "surname"
DIFFERENT = "different"
MISSING = "missing"
NAME_LEVELS = (EXACT, SAME_PINYIN, PINYIN_CLOSE, SURNAME_ONLY, DIFFERENT, MISSING)

# Initials and finals that southern and central speakers (and typists) confuse.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_SINGLE = {"n": "l", "h": "f", "r": "l"}
_FUZZY_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))


def normalise(name: object) -> str:
    """NFKC, separators (spaces, ·, middle dots) removed."""
    if name is None:
        return ""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(name)))


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name); compound surnames such as 欧阳 and 诸葛 are kept whole."""
    name = normalise(name)
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    if len(name) == 2 and name in COMPOUND_SURNAMES:
        # 欧阳 alone is a surname without a given name, not 欧 + 阳.
        return name, ""
    return name[:1], name[1:]


@lru_cache(maxsize=65_536)
def _syllables(text: str) -> tuple[str, ...]:
    # Cached: surnames and given names repeat far more than whole names (a ledger of 10,000
    # children has some 1,300 distinct given names), and pypinyin costs ~50 µs a call.
    if not text:
        return ()
    return tuple(s.lower() for s in lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: list(s)))


@lru_cache(maxsize=200_000)
def pinyin_key(name: str) -> tuple[str, ...]:
    """Toneless pinyin syllables, the surname read as a surname: 单雄信 -> ('shan', 'xiong', 'xin')."""
    surname, given = split_surname(name)
    reading = SURNAME_PINYIN.get(surname)
    if reading is None:
        reading = tuple(SURNAME_PINYIN.get(ch, _syllables(ch))[0] for ch in surname) if surname else ()
    return reading + _syllables(given)


@lru_cache(maxsize=4096)
def fuzzy_syllable(syllable: str) -> str:
    """Fold the initials and finals people confuse: zhang -> zan, ning -> lin, hu -> fu."""
    for long, short in _FUZZY_INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    else:
        if syllable[:1] in _FUZZY_SINGLE:
            syllable = _FUZZY_SINGLE[syllable[:1]] + syllable[1:]
    for long, short in _FUZZY_FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


def surname_count(name: str) -> int:
    return len(split_surname(name)[0])


def similarity_from_keys(
    a: str, a_key: tuple[str, ...], b: str, b_key: tuple[str, ...], a_surname_len: int, b_surname_len: int
) -> str:
    """The comparison level of two normalised names whose pinyin keys are known."""
    if not a or not b:
        return MISSING
    if a == b:
        return EXACT
    if a_key == b_key:
        return SAME_PINYIN
    a_sur, b_sur = a_key[:a_surname_len], b_key[:b_surname_len]
    same_surname = a_sur == b_sur or a[:a_surname_len] == b[:b_surname_len]
    fuzzy_surname = same_surname or tuple(map(fuzzy_syllable, a_sur)) == tuple(map(fuzzy_syllable, b_sur))
    if not fuzzy_surname:
        return DIFFERENT
    a_given, b_given = a_key[a_surname_len:], b_key[b_surname_len:]
    if _given_close(a_given, b_given):
        return PINYIN_CLOSE
    return SURNAME_ONLY if same_surname else DIFFERENT


def _given_close(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Given names differing by fuzzy sounds only, or (two syllables or more) by one syllable."""
    if len(a) == len(b):
        if tuple(map(fuzzy_syllable, a)) == tuple(map(fuzzy_syllable, b)):
            return True
        if len(a) >= 2:
            return sum(x != y for x, y in zip(a, b, strict=True)) == 1
        return False
    if abs(len(a) - len(b)) == 1 and min(len(a), len(b)) >= 1:
        # A dropped or added character: 张小伟 / 张伟.
        longer, shorter = (a, b) if len(a) > len(b) else (b, a)
        return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
    return False


def name_similarity(a: str, b: str) -> str:
    """exact / pinyin (homophone, 张伟 vs 张玮) / close / surname / different / missing."""
    a, b = normalise(a), normalise(b)
    if not a or not b:
        return MISSING
    return similarity_from_keys(a, pinyin_key(a), b, pinyin_key(b), surname_count(a), surname_count(b))
