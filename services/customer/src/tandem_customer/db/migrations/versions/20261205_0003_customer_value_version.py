"""customer value version: a per-customer counter of value changes (CustomerValueChanged)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 00:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    # A value stored before has been one value already: its next change is version 2.
    op.execute("UPDATE customer_values SET version = 1")


def downgrade() -> None:
    with op.batch_alter_table("customer_values", schema=None) as batch_op:
        batch_op.drop_column("version")
