"""The API_TOKEN of the `guarded` service (conftest.py), for the tests that present it."""

TOKEN = "s3cret-token-for-tests"
