"""Liveness and readiness.

GET /health answers as long as the process serves requests (restart it when it does not).
GET /health/ready answers 200 only while every feature can do its work (the jobs store
takes writes, the broker answers); 503 names each failing check (send no traffic).
"""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from .feature import Feature, ReadinessCheck

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    app: FastAPI = request.app
    checks: dict[str, ReadinessCheck] = app.state.readiness_checks
    failing = {name: problem for name, check in checks.items() if (problem := await check(app))}
    if not failing:
        return JSONResponse({"status": "ready"})
    detail = "; ".join(f"{name}: {problem}" for name, problem in failing.items())
    return JSONResponse({"status": "unavailable", "detail": detail, "checks": failing}, 503)


feature = Feature(name="health", router=router, protected=False)
