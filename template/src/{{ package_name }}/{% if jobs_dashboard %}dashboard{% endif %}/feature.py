from ..feature import Feature
from .router import router

# Not behind the bearer guard: a browser signs in once and then carries a session cookie,
# which the dashboard's own guard (router.require_session) checks on every data request.
feature = Feature(name="dashboard", router=router, protected=False)
