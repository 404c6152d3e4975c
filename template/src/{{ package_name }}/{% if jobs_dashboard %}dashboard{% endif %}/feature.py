from fastapi import APIRouter

from ..feature import Feature
from .activity import router as activity
from .router import router as pages

router = APIRouter()
router.include_router(pages)
router.include_router(activity)

# Not behind the bearer guard: a browser signs in once and then carries a session cookie,
# which the dashboard's own guard (router.require_session) checks on every data request.
feature = Feature(name="dashboard", router=router, protected=False)
