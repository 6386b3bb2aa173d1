"""The ledger's menu entries."""

from web.cards import NavItem

NAV = [
    NavItem("台账导入", "ledger:upload", "registry.import", order=30),
    NavItem("台账导出", "ledger:export", "registry.export", order=31),
]
