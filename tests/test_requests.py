"""Requests no browser sends get a 400, never a database error."""

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
