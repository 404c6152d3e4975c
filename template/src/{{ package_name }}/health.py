"""Liveness and readiness.

GET /health answers as long as the process serves requests (restart it when it does not).
GET /health/ready answers 200 only while this process can serve (the jobs store takes writes);
503 names each failing check (send no traffic). What only part of the API needs is shown in
the body without failing it (the broker, which only reports need).
"""

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from .feature import Feature, ReadinessCheck, ReadinessInfo

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> JSONResponse:
    app: FastAPI = request.app
    checks: dict[str, ReadinessCheck] = app.state.readiness_checks
    failing = {name: problem for name, check in checks.items() if (problem := await check(app))}
    infos: list[ReadinessInfo] = app.state.readiness_info
    shown = {key: value for info in infos for key, value in (await info(app)).items()}
    if not failing:
        return JSONResponse({"status": "ready", **shown})
    detail = "; ".join(f"{name}: {problem}" for name, problem in failing.items())
    return JSONResponse(
        {"status": "unavailable", "detail": detail, "checks": failing, **shown}, 503
    )


feature = Feature(name="health", router=router, protected=False)
