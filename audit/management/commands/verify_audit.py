from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def handle(self, *args, **options):
        checked, broken, reason = verify_chain()
        if broken is not None or reason:
            where = f"第 {broken.seq} 条（id={broken.pk}）" if broken is not None else "链尾"
            raise CommandError(f"审计链在{where}断开：{reason}。此前 {checked} 条记录校验通过。")
        self.stdout.write(self.style.SUCCESS(f"审计链完整：{checked} 条记录全部校验通过。"))
