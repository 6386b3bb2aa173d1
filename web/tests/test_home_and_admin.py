from accounts.models import User


def test_home_shows_the_role_and_no_placeholders(city, login, client):
    login(city.yuekou_director)
    page = client.get("/").content.decode()
    assert "儿童主任" in page
    for stub in ("敬请期待", "coming soon", "TODO"):
        assert stub not in page


def test_user_without_role_is_told_to_ask_for_one(db, client):
    user = User.objects.create_user("nobody", password="Aa-123456789")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403 and "尚未分配角色" in response.content.decode()


def test_admin_site_admits_city_admin_only(city, login, client):
    User.objects.filter(pk=city.yuekou_supervisor.pk).update(is_staff=True, is_superuser=True)
    login(User.objects.get(pk=city.yuekou_supervisor.pk))
    assert client.get("/admin/").status_code == 302
    login(city.admin)
    assert client.get("/admin/").status_code == 200


def test_security_headers(client, db):
    response = client.get("/accounts/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_health_is_public(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_openapi_schema_is_served(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200 and b"openapi" in response.content
