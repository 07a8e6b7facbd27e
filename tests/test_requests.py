"""Requests no browser sends get a 400, never a database error; the one every browser
sends, /favicon.ico, gets the icon."""

import pytest


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/admin/stories/story/?status=%00", {}),
        ("/?page=1&x=%00", {}),
        ("/", {"HTTP_COOKIE": r'sessionid="abc\000def"'}),
    ],
)
def test_nul_characters_are_refused_with_400(client, path, extra, db):
    response = client.get(path, **extra)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_nul_in_a_posted_field_is_refused(client, db):
    response = client.post("/admin/login/", {"username": "a\x00b", "password": "x"})
    assert response.status_code == 400


def test_ordinary_requests_pass(client, db):
    assert client.get("/").status_code == 200


def test_the_site_has_a_real_favicon_at_its_root(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_reader_pages_and_the_admin_name_the_icon(client, admin_client):
    for page in (client.get("/"), admin_client.get("/admin/")):
        assert '<link rel="icon" href="/favicon.ico" sizes="any">' in page.content.decode()
