"""Liveness and readiness probes for load balancers and orchestrators."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse

from business.errors import Unavailable
from business.health import HealthService
from presentation.problems import problem_http_response

View = Callable[[HttpRequest], HttpResponse]


def require_safe(view: View) -> View:
    """Answer methods other than GET and HEAD with a 405 problem, not Django's HTML."""

    @wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return view(request)
        response = problem_http_response(
            request,
            status=405,
            slug="method-not-allowed",
            detail=f'Method "{request.method}" not allowed.',
        )
        response["Allow"] = "GET, HEAD"
        return response

    return checked


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 while the process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Answer 200 when the database answers, else 503."""
    try:
        HealthService().check_ready()
    except Unavailable as exc:
        return problem_http_response(
            request, status=503, slug=exc.code, title=exc.title, detail=exc.detail
        )
    return JsonResponse({"status": "ready"})
