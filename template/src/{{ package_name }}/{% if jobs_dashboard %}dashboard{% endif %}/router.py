"""GET /dashboard: the jobs as a live page, with a sign-in form when an API token is set.

The page reads the same endpoints as any API client, the jobs router mounted again under
/dashboard (GET /dashboard/jobs, GET /dashboard/jobs/{job_id}, ...) behind a guard that
takes the session cookie as well as the bearer token. Sessions live in the jobs store
(session.py); wrong tokens given to the sign-in form are throttled per client address.
"""

from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates
from pydantic import SecretStr

from ..jobs import JobStore
from ..jobs import jobs_router as jobs_api
from ..security import bearer, require_token, token_matches
from ..throttle import FailureThrottle
from . import session

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
MEDIA_TYPES = {".css": "text/css", ".js": "text/javascript"}
STATIC = {
    path.name: MEDIA_TYPES[path.suffix]
    for path in (HERE / "static").iterdir()
    if path.suffix in MEDIA_TYPES
}
MAX_FORM_BYTES = 4096
# The page loads only its own script and style sheet, and no other site may frame it.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
# A browser sends this header only from the page's own script (any other origin would need a
# CORS preflight, which this service never grants): a cookie alone cannot make it change a job.
SCRIPT_HEADER = "X-Dashboard"
SIGN_IN = "sign-in"
"""What wrong tokens given to the sign-in form count against, per client address."""


def api_token(request: Request) -> SecretStr | None:
    token: SecretStr | None = request.app.state.settings.api_token
    return token


def jobs_store(request: Request) -> JobStore:
    store: JobStore = request.app.state.jobs.store
    return store


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def signed_in(request: Request) -> bool:
    token = api_token(request)
    if token is None:
        return True
    return await session.is_valid(jobs_store(request), token, request.cookies.get(session.COOKIE))


async def require_session(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """The data endpoints: the page's session cookie, or the API token as for /jobs."""
    if credentials is not None or api_token(request) is None:
        await require_token(request, credentials)
        return
    if not await signed_in(request):
        raise HTTPException(401, "sign in at /dashboard/login")
    if request.method not in ("GET", "HEAD") and SCRIPT_HEADER not in request.headers:
        raise HTTPException(403, f"send {SCRIPT_HEADER} with a change made from the dashboard")


router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("", name="dashboard")
async def dashboard_page(request: Request) -> Response:
    if not await signed_in(request):
        return RedirectResponse(request.url_for("dashboard_login").path, status_code=303)
    context = {
        "title": request.app.title,
        "base": request.url_for("dashboard").path,
        "can_sign_out": api_token(request) is not None,
    }
    return templates.TemplateResponse(
        request, "dashboard.html", context, headers=PAGE_HEADERS | {"Cache-Control": "no-store"}
    )


@router.get("/login", name="dashboard_login")
async def login_page(request: Request) -> Response:
    if api_token(request) is None:
        return RedirectResponse(request.url_for("dashboard").path, status_code=303)
    return login_form(request)


@router.post("/login")
async def login(request: Request) -> Response:
    token = api_token(request)
    if token is None:
        return RedirectResponse(request.url_for("dashboard").path, status_code=303)
    throttle: FailureThrottle = request.app.state.throttle
    address = client_address(request)
    if (wait := throttle.retry_after(SIGN_IN, address)) is not None:
        return login_form(
            request,
            f"Too many wrong tokens from your address: try again in {wait} seconds.",
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    given = await form_field(request, "token")
    if given is None or not token_matches(token, given):
        throttle.failed(SIGN_IN, address)
        return login_form(request, "That is not the API token.", status_code=401)
    session_id = await session.start(jobs_store(request), token)
    response = RedirectResponse(request.url_for("dashboard").path, status_code=303)
    response.set_cookie(
        session.COOKIE,
        session_id,
        max_age=session.LIFETIME_SECONDS,
        path=request.url_for("dashboard").path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    if (token := api_token(request)) is not None:
        await session.end(jobs_store(request), token, request.cookies.get(session.COOKIE))
    response = RedirectResponse(request.url_for("dashboard_login").path, status_code=303)
    response.delete_cookie(session.COOKIE, path=request.url_for("dashboard").path)
    return response


@router.get("/static/{name}", name="dashboard_static")
async def static_file(name: str) -> Response:
    if name not in STATIC:
        raise HTTPException(404, f"no file {name!r}")
    return FileResponse(HERE / "static" / name, media_type=STATIC[name])


router.include_router(jobs_api, dependencies=[Depends(require_session)])


def login_form(
    request: Request,
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {"title": request.app.title, "error": error}
    return templates.TemplateResponse(
        request,
        "login.html",
        context,
        status_code=status_code,
        headers=PAGE_HEADERS | (headers or {}),
    )


async def form_field(request: Request, name: str) -> str | None:
    """One field of a small urlencoded form (no multipart parser needed for a password)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "the form is too large")
    try:
        values = parse_qs(body.decode(errors="replace"), max_num_fields=10).get(name)
    except ValueError:  # more fields than any sign-in form has
        return None
    return values[0] if values else None
