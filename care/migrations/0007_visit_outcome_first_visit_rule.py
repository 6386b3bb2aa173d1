"""A visit's outcome (reached / not reached), and the first-home-visit period as a cadence rule
(care/fixtures/care_policy_first_visit_2025.json). Visits recorded before have no outcome:
nothing is invented for them, so they count toward the cadence once someone completes them."""

from django.db import migrations, models


def load(apps, schema_editor):
    from care.policy_data import FIRST_VISIT_FIXTURE, load_policy

    load_policy(apps, FIRST_VISIT_FIXTURE)


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0006_carestatus_city_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='cadencerule',
            name='interval_days',
            field=models.PositiveSmallIntegerField(default=0, help_text='间隔按月计算后再加的天数；首次走访的期限按天数规定', verbose_name='另加天数'),
        ),
        migrations.AddField(
            model_name='visit',
            name='outcome',
            field=models.CharField(blank=True, choices=[('reached', '已见到（已联系上）'), ('not_reached', '未见到（未联系上）')], max_length=12, verbose_name='结果'),
        ),
        migrations.AlterField(
            model_name='cadencerule',
            name='applies_to',
            field=models.CharField(choices=[('all_migrant', '全部流动儿童'), ('key_attention', '重点关注儿童'), ('first_visit', '新登记或新认定流动儿童的首次走访')], max_length=20, verbose_name='适用对象'),
        ),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
