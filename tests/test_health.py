"""GET /healthz: a trivial answer for load balancers and the floor of the serving benchmark."""


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.json == {"status": "ok"}
