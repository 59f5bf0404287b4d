"""themed days: the rule in Chinese words (rule_zh) beside the reference file's English

Themed days already loaded get the Chinese wording of the reference file's rows, matched by key;
a themed day the file does not know keeps an empty one (its page shows the English).

Revision ID: 8489b5223349
Revises: 2b8486949f44
Create Date: 2026-11-29 19:30:12.004024

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8489b5223349'
down_revision = '2b8486949f44'
branch_labels = None
depends_on = None

# As in app/demo/data/themed_days.csv at this revision: a migration does not read files that change later.
RULES_ZH = {
    "national_science_day": "每年九月第三个周末（实际多为一周）；自2025年起，整个九月为全国科普月",
    "science_week": "每年五月第三周（具体日期每年公布）",
    "low_carbon_day": "全国节能宣传周的第三天（日期每年不同）",
    "china_water_week": "每年3月22日至28日",
    "world_water_day": "每年3月22日",
    "patriotic_health_month": "每年4月1日至30日",
    "food_safety_week": "由国务院食品安全办每年确定；通常在六月中旬至七月",
    "disaster_reduction_day": "每年5月12日",
    "world_meteorological_day": "每年3月23日",
    "earth_day": "每年4月22日",
    "world_environment_day": "每年6月5日",
    "science_workers_day": "每年5月30日",
}


def upgrade():
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule_zh', sa.String(length=300), nullable=False, server_default=''))

    themed_days = sa.table('themed_days', sa.column('key', sa.String), sa.column('rule_zh', sa.String))
    for key, words in RULES_ZH.items():
        op.execute(themed_days.update().where(themed_days.c.key == key).values(rule_zh=words))

    # The application always writes the column; the default was only for the rows already there.
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.alter_column('rule_zh', server_default=None)


def downgrade():
    with op.batch_alter_table('themed_days', schema=None) as batch_op:
        batch_op.drop_column('rule_zh')
