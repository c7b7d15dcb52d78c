"""System task API routes, joined under ``/api/`` by privacyportal/api_urls.py."""

from django.urls import re_path

from .views import SystemTaskAnswerApi, SystemTaskListApi, SystemTaskPartApi

urlpatterns = [
    re_path(r"^v1/system-tasks/?$", SystemTaskListApi.as_view(), name="api-v1-system-tasks"),
    re_path(
        # Any segment reaches the view, which answers a JSON 404 for what is not a task's id
        # (rather than the site's HTML 404 page).
        r"^v1/system-tasks/(?P<system_task_id>[^/]+)/answer/?$",
        SystemTaskAnswerApi.as_view(),
        name="api-v1-system-task-answer",
    ),
    re_path(
        r"^v1/system-tasks/(?P<system_task_id>[^/]+)/parts/?$",
        SystemTaskPartApi.as_view(),
        name="api-v1-system-task-parts",
    ),
]
