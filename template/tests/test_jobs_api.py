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
