"""Liveness and readiness probes for load balancers and orchestrators."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from business.errors import Unavailable
from business.health import HealthService
from presentation.problems import problem_http_response


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
