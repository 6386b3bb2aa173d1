from django.urls import reverse

from common.testing import make_child


def test_transfer_request_accept_and_the_old_director_loses_access(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_supervisor)
    client.post(
        reverse("registry:transfer_request", args=[child.pk]),
        {"to_township": city.duobao.pk, "reason": "务工"},
    )
    transfer = child.transfers.get()
    login(city.duobao_supervisor)
    inbox = client.get(reverse("registry:transfers")).content.decode()
    assert child.file_no in inbox
    response = client.post(
        reverse("registry:transfer_decide", args=[transfer.pk]),
        {"decision": "accept", "to_village": city.duobao_village.pk},
    )
    assert response.status_code == 302
    assert client.get(reverse("registry:detail", args=[child.pk])).status_code == 200
    login(city.yuekou_director)
    assert client.get(reverse("registry:detail", args=[child.pk])).status_code == 404
    login(city.yuekou_supervisor)
    assert client.get(reverse("registry:detail", args=[child.pk])).status_code == 404


def test_reject_without_reason_shows_an_error(client, city, login):
    child = make_child(village=city.yuekou_community)
    login(city.yuekou_supervisor)
    client.post(
        reverse("registry:transfer_request", args=[child.pk]),
        {"to_township": city.duobao.pk, "reason": "务工"},
    )
    transfer = child.transfers.get()
    login(city.duobao_supervisor)
    body = client.post(
        reverse("registry:transfer_decide", args=[transfer.pk]), {"decision": "reject"}
    ).content.decode()
    assert "请说明原因" in body
