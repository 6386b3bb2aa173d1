from web.cards import Card, NavItem

NAV = [
    NavItem("部门数据", "exchange:batches", "exchange.import", order=60),
    NavItem("数据确认", "exchange:review", "exchange.review", order=61),
]


def home_cards(user) -> list[Card]:
    from django.urls import reverse

    from access.policy import has_capability
    from exchange.selectors import review_items_visible

    if not has_capability(user, "exchange.review"):
        return []
    count = review_items_visible(user).count()
    return [
        Card(
            title="部门数据待人工确认",
            value=count,
            url=reverse("exchange:review"),
            note="部门数据与档案是否为同一儿童",
            tone="warning" if count else "secondary",
            order=60,
        )
    ]
