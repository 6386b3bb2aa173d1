"""A record of each daily run: which steps ran, how long they took, what failed."""

from __future__ import annotations

from django.db import models


class DailyRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        SUCCEEDED = "succeeded", "成功"
        FAILED = "failed", "部分失败"

    on = models.DateField("业务日期", unique=True)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # [{"step": "recompute_status", "label": "...", "seconds": 1.2, "ok": true, "error": ""}, ...]
    steps = models.JSONField("步骤", default=list)

    class Meta:
        verbose_name = "每日任务运行"
        verbose_name_plural = "每日任务运行"
        ordering = ["-on"]

    def __str__(self) -> str:
        return f"{self.on} {self.get_status_display()}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
