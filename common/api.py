"""API error handling: user input never produces a 500; messages are Chinese."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 404 and isinstance(response.data, dict):
        response.data = {"detail": "未找到，或您无权查看"}
    return response
