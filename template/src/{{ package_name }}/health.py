"""Liveness: GET /health answers as long as the process serves requests."""

from fastapi import APIRouter

from .feature import Feature

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


feature = Feature(name="health", router=router, protected=False)
