"""The department API: a liaison pushes rows of its own department's sources (the same
pipeline as a file) and reads what became of its batches.

What a department is told is worked out from its own rows alone: per row the row number,
received or rejected, and the problems of the data it sent (``services.department_report``).
Never whether or to whom a row was linked, nor a surname, birth date, sex, township or any
other fact of a registered child, and no per-batch counts of linked or new rows: pushing the
ID number of a child outside the liaison's scope answers exactly as a random valid number."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api import HasCapability
from common.tabular import TableError
from exchange import selectors
from exchange.services import ExchangeError, department_report, feed_push


class PushRequest(serializers.Serializer):
    source = serializers.SlugField(help_text="数据来源代码，如 education")
    rows = serializers.ListField(child=serializers.DictField(), help_text="每项一行：字段名或表头 → 值")
    is_complete_list = serializers.BooleanField(required=False, default=False)


_ROW = inline_serializer(
    "FeedReplyRow",
    {
        "row": serializers.IntegerField(help_text="行号（推送的第几行，从 1 起）"),
        "outcome": serializers.ChoiceField(
            choices=["received", "rejected"], help_text="received 已接收；rejected 数据有误未采用"
        ),
        "errors": serializers.ListField(child=serializers.CharField(), help_text="本行数据自身的问题"),
    },
    many=True,
)
_REPORT = inline_serializer(
    "FeedReport",
    {
        "rows": _ROW,
        "summary": inline_serializer(
            "FeedReplySummary",
            {
                "batch": serializers.IntegerField(),
                "source": serializers.CharField(),
                "status": serializers.CharField(),
                "rows": serializers.IntegerField(),
                "received": serializers.IntegerField(),
                "rejected": serializers.IntegerField(),
                "warnings": serializers.ListField(child=serializers.CharField()),
            },
        ),
    },
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
        return Response(department_report(batch), status=status.HTTP_201_CREATED)


class BatchListView(APIView):
    permission_classes = [HasCapability("exchange.push")]

    @extend_schema(responses={200: serializers.ListSerializer(child=serializers.DictField())})
    def get(self, request):
        batches = selectors.batches_with_replies(request.user)[:100]
        return Response(
            [
                {
                    "batch": b.pk, "source": b.source.code, "status": b.status, "created_at": b.created_at,
                    "rows": b.total_rows, "received": b.total_rows - b.rows_rejected,
                    "rejected": b.rows_rejected,
                }
                for b in batches
            ]
        )  # fmt: skip


class BatchReportView(APIView):
    permission_classes = [HasCapability("exchange.push")]

    @extend_schema(responses={200: _REPORT})
    def get(self, request, pk: int):
        batch = selectors.get_batch_or_404(request.user, pk)
        return Response(department_report(batch))
