"""The portal's own menu entry: the reference data (places, departments, schools, users,
policy tables) in the Django admin, for city administrators (see web/admin.py)."""

from web.cards import NavItem

NAV = [NavItem("基础数据", "admin:index", "places.manage", order=100)]
