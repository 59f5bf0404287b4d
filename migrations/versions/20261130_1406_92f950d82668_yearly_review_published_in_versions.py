"""yearly review published in versions

The city admin publishes a year's evaluation once the year is over (the yearly performance review,
年度绩效考评): each publication is a version of that year (1, then each correction), holding the weights
it used and every venue's score, rank, and figure and points per indicator, as they were then. Nothing
existed before to carry over; downgrade drops the published versions.

Revision ID: 92f950d82668
Revises: 5b2f0c7d9e41
Create Date: 2026-11-30 14:06:35

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '92f950d82668'
down_revision = '5b2f0c7d9e41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('version >= 1', name=op.f('ck_evaluation_publications_version_positive')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_evaluation_publications_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_publications')),
    sa.UniqueConstraint('year', 'version', name=op.f('uq_evaluation_publications_year_version'))
    )
    op.create_table('evaluation_published_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=8), nullable=True),
    sa.Column('score', sa.Numeric(precision=4, scale=1), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.CheckConstraint('rank >= 1', name=op.f('ck_evaluation_published_results_rank_positive')),
    sa.CheckConstraint('score >= 0 AND score <= 100', name=op.f('ck_evaluation_published_results_score_range')),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_evaluation_published_results_district_code_districts')),
    sa.ForeignKeyConstraint(['publication_id'], ['evaluation_publications.id'], name=op.f('fk_evaluation_published_results_publication_id_evaluation_publications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_evaluation_published_results_venue_id_venues')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_published_results')),
    sa.UniqueConstraint('publication_id', 'venue_id', name=op.f('uq_evaluation_published_results_publication_id_venue_id'))
    )
    with op.batch_alter_table('evaluation_published_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_published_results_venue_id'), ['venue_id'], unique=False)

    op.create_table('evaluation_published_weights',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('weight', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.CheckConstraint('weight >= 0 AND weight <= 100', name=op.f('ck_evaluation_published_weights_weight_range')),
    sa.ForeignKeyConstraint(['publication_id'], ['evaluation_publications.id'], name=op.f('fk_evaluation_published_weights_publication_id_evaluation_publications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('publication_id', 'indicator', name=op.f('pk_evaluation_published_weights'))
    )
    op.create_table('evaluation_published_points',
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.CheckConstraint('points >= 0 AND points <= 100', name=op.f('ck_evaluation_published_points_points_range')),
    sa.ForeignKeyConstraint(['result_id'], ['evaluation_published_results.id'], name=op.f('fk_evaluation_published_points_result_id_evaluation_published_results'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('result_id', 'indicator', name=op.f('pk_evaluation_published_points'))
    )


def downgrade():
    op.drop_table('evaluation_published_points')
    op.drop_table('evaluation_published_weights')
    with op.batch_alter_table('evaluation_published_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_published_results_venue_id'))

    op.drop_table('evaluation_published_results')
    op.drop_table('evaluation_publications')
