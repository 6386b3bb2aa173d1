"""Tianmen's 28 township-level units (NBS statistical division codes), with former names.

Source: DOMAIN.md "Places"; farms and the management committee per the plan's addressees.
"""

HOME_COUNTY = ("429006", "天门市", ["天门县"])

# (3-digit suffix, current name, kind, former names and spellings seen in data)
TOWNSHIPS: list[tuple[str, str, str, list[str]]] = [
    ("001", "竟陵街道", "street", ["竟陵办事处", "竟陵"]),
    ("002", "侯口街道", "street", ["侨乡街道开发区", "侨乡开发区", "候口街道", "侯口办事处", "候口"]),
    ("003", "杨林街道", "street", ["杨林办事处"]),
    ("100", "多宝镇", "town", []),
    ("101", "拖市镇", "town", []),
    ("102", "张港镇", "town", []),
    ("103", "蒋场镇", "town", []),
    ("104", "汪场镇", "town", []),
    ("105", "渔薪镇", "town", []),
    ("106", "黄潭镇", "town", []),
    ("107", "岳口镇", "town", []),
    ("108", "横林镇", "town", []),
    ("109", "彭市镇", "town", []),
    ("110", "麻洋镇", "town", []),
    ("111", "多祥镇", "town", []),
    ("112", "干驿镇", "town", []),
    ("113", "马湾镇", "town", []),
    ("114", "卢市镇", "town", []),
    ("115", "小板镇", "town", []),
    ("116", "九真镇", "town", []),
    ("118", "皂市镇", "town", []),
    ("119", "胡市镇", "town", []),
    ("120", "石家河镇", "town", ["石河镇"]),
    ("121", "佛子山镇", "town", []),
    ("201", "净潭乡", "xiang", []),
    ("450", "蒋湖农场", "farm", []),
    ("451", "白茅湖农场", "farm", []),
    ("452", "沉湖管委会", "zone", ["沉湖农场", "沉湖"]),
]
