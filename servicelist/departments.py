"""The responsible departments (责任部门) of the Tianmen plan and its Basic Service List.

The 22 issuing units in the order of the plan's header, plus 市委网信办, which
only the annex names (service 20). Full names are as the header prints them;
网信办's is its official name, as the header does not carry it.

The slugs are stable identifiers: fixtures, referrals and statistics refer to
departments by code, never by a display name, because names change.
"""

from __future__ import annotations

# (code, short name as used in the annex and in conversation, full name)
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("civil_affairs", "民政局", "天门市民政局"),
    ("publicity", "市委宣传部", "中共天门市委宣传部"),
    ("political_legal", "市委政法委", "中共天门市委政法委员会"),
    ("court", "法院", "天门市人民法院"),
    ("procuratorate", "检察院", "天门市人民检察院"),
    ("development_reform", "发改委", "天门市发展和改革委员会"),
    ("education", "教育局", "天门市教育局"),
    ("public_security", "公安局", "天门市公安局"),
    ("justice", "司法局", "天门市司法局"),
    ("finance", "财政局", "天门市财政局"),
    ("human_resources", "人社局", "天门市人力资源和社会保障局"),
    ("housing_renewal", "住房和城市更新局", "天门市住房和城市更新局"),
    ("housing_security", "住房保障服务中心", "天门市住房保障服务中心"),
    ("urban_management", "城管执法局", "天门市城管执法局"),
    ("transport", "交通运输局", "天门市交通运输局"),
    ("health", "卫健委", "天门市卫生健康委员会"),
    ("media_center", "融媒体中心", "天门市融媒体中心"),
    ("statistics", "统计局", "天门市统计局"),
    ("medical_insurance", "医保局", "天门市医疗保障局"),
    ("youth_league", "团市委", "中国共产主义青年团天门市委员会"),
    ("womens_federation", "妇联", "天门市妇女联合会"),
    ("disabled_federation", "残联", "天门市残疾人联合会"),
    ("cyberspace", "市委网信办", "中共天门市委网络安全和信息化委员会办公室"),
]

DEPARTMENT_CODES: frozenset[str] = frozenset(code for code, _, _ in DEPARTMENTS)
DEPARTMENT_NAMES: dict[str, str] = {code: name for code, name, _ in DEPARTMENTS}
DEPARTMENT_FULL_NAMES: dict[str, str] = {code: full for code, _, full in DEPARTMENTS}
