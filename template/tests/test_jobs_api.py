from fastapi.testclient import TestClient


def test_unknown_job_is_404(client: TestClient) -> None:
    response = client.get("/jobs/does-not-exist")

    assert response.status_code == 404


def test_job_list_rejects_an_unknown_status(client: TestClient) -> None:
    response = client.get("/jobs", params={"status": "sleeping"})

    assert response.status_code == 422


def test_job_list_limit_is_bounded(client: TestClient) -> None:
    assert client.get("/jobs", params={"limit": 0}).status_code == 422
    assert client.get("/jobs", params={"limit": 501}).status_code == 422


def test_a_trailing_slash_is_not_redirected_to_an_address_from_the_host_header(
    client: TestClient,
) -> None:
    response = client.get("/jobs/", headers={"Host": "attacker.example"}, follow_redirects=False)

    assert response.status_code == 404
    assert "location" not in response.headers
