"""The department API: a liaison pushes rows of its own department's sources and reads the
outcome of its batches (the same pipeline and report as a file). Nothing here reads the
registry: the report names a linked child's ID number only when the row carried it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api import HasCapability
from common.tabular import TableError
from exchange import selectors
from exchange.services import ExchangeError, feed_push, report


class PushRequest(serializers.Serializer):
    source = serializers.SlugField(help_text="数据来源代码，如 education")
    rows = serializers.ListField(child=serializers.DictField(), help_text="每项一行：字段名或表头 → 值")
    is_complete_list = serializers.BooleanField(required=False, default=False)


_REPORT = inline_serializer(
    "FeedReport",
    {"rows": serializers.ListField(child=serializers.DictField()), "summary": serializers.DictField()},
)


class PushView(APIView):
    permission_classes = [HasCapability("exchange.push")]

    @extend_schema(request=PushRequest, responses={201: _REPORT})
    def post(self, request):
        data = PushRequest(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        source = selectors.sources_for_push(request.user).filter(code=data.validated_data["source"]).first()
        if source is None:
            return Response(
                {"detail": "只能报送本部门的数据来源；该数据来源不属于您的部门或不存在"},
                status=status.HTTP_403_FORBIDDEN,
            )
        try:
            batch = feed_push(
                actor=request.user,
                source=source,
                rows=data.validated_data["rows"],
                is_complete_list=data.validated_data["is_complete_list"],
            )
        except (ExchangeError, TableError) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(report(batch, full_ids=False), status=status.HTTP_201_CREATED)


class BatchListView(APIView):
    permission_classes = [HasCapability("exchange.push")]

    @extend_schema(responses={200: serializers.ListSerializer(child=serializers.DictField())})
    def get(self, request):
        batches = selectors.batches_visible(request.user)[:100]
        return Response(
            [
                {
                    "batch": b.pk, "source": b.source.code, "status": b.status, "created_at": b.created_at,
                    "rows": b.total_rows, "linked": b.linked, "review": b.review, "new": b.new,
                    "rejected": b.rejected,
                }
                for b in batches
            ]
        )  # fmt: skip


class BatchReportView(APIView):
    permission_classes = [HasCapability("exchange.push")]

    @extend_schema(responses={200: _REPORT})
    def get(self, request, pk: int):
        batch = selectors.get_batch_or_404(request.user, pk)
        return Response(report(batch, full_ids=False))
