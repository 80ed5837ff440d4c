"""Accounts, API tokens, sign-in sessions and failed attempts; handling markings on sites,
deposits, survey layers and single attributes; the append-only audit trail, whose rows the
database itself refuses to change or delete (triggers on both backends).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STAMP = sa.DateTime(timezone=True)
MARKED = ("sites", "deposits", "survey_layers")

SQLITE_GUARDS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit rows cannot be changed'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit rows cannot be deleted'); END",
)
POSTGRES_GUARDS = (
    "CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'audit rows cannot be changed or deleted'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()",
)


def upgrade() -> None:
    for table in MARKED:  # a plain ADD COLUMN: SQLite need not copy a million deposits
        op.add_column(table, sa.Column("marking", sa.String(40), nullable=False,
                                       server_default="public"))
    op.create_index("ix_sites_marking", "sites", ["marking"])
    op.create_index("ix_deposits_marking", "deposits", ["marking"])
    op.create_table(
        "attribute_markings",
        sa.Column("record_kind", sa.String(20), primary_key=True),
        sa.Column("record_id", sa.String(120), primary_key=True),
        sa.Column("attribute", sa.String(80), primary_key=True),
        sa.Column("marking", sa.String(40), nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("clearance", sa.String(40), nullable=False, server_default="public"),
        sa.Column("password_hash", sa.Text, nullable=False, server_default=""),
        sa.Column("email", sa.String(300), nullable=False, server_default=""),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer,
                  sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(120), nullable=False, server_default=""),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("revoked_at", STAMP, nullable=True),
        sa.Column("last_used_at", STAMP, nullable=True),
    )
    op.create_table(
        "sign_in_sessions",
        sa.Column("secret_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer,
                  sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("expires_at", STAMP, nullable=False),
        sa.Column("ended_at", STAMP, nullable=True),
    )
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False, index=True),
        sa.Column("address", sa.String(80), nullable=False, index=True),
        sa.Column("attempted_at", STAMP, nullable=False, index=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", STAMP, nullable=False, index=True),
        sa.Column("actor", sa.String(120), nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("records", sa.Integer, nullable=True),
        sa.Column("marking", sa.String(40), nullable=False, server_default=""),
        sa.Column("address", sa.String(80), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(20), nullable=False, server_default="ok"),
    )
    guards = POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE audit_log")
        op.execute("DROP FUNCTION audit_log_refuse()")
    else:
        op.drop_table("audit_log")
    for table in ("sign_in_attempts", "sign_in_sessions", "api_tokens", "accounts",
                  "attribute_markings"):
        op.drop_table(table)
    op.drop_index("ix_deposits_marking", "deposits")
    op.drop_index("ix_sites_marking", "sites")
    for table in MARKED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("marking")
