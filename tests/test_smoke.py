def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"ZIP code" in response.data


def test_listing_factory_is_searchable(client, make):
    item = make.listing(zip="60614", name="Lincoln Park Circle")
    data = client.get("/api/v1/search?zip=60614").json
    assert [r["id"] for r in data["results"]] == [item.id]
