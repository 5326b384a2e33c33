"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archiver.storage.migrations.schema_0001 import create_search_and_views, drop_search_and_views

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('crawl_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spider', sa.String(length=100), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finish_reason', sa.String(length=100), nullable=True),
    sa.Column('stats', sa.JSON(), nullable=True),
    sa.Column('software', sa.JSON(), nullable=True),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_runs'))
    )
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crawl_runs_started_at'), ['started_at'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('host', name=op.f('uq_sites_host'))
    )
    op.create_table('articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=600), nullable=False),
    sa.Column('post_id', sa.BigInteger(), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('version_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_articles_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_articles')),
    sa.UniqueConstraint('site_id', 'key', name='uq_articles_site_key')
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_site_post', ['site_id', 'post_id'], unique=False)

    op.create_table('authors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=600), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('site_author_id', sa.Integer(), nullable=True),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('avatar_url', sa.Text(), nullable=True),
    sa.Column('forum_url', sa.Text(), nullable=True),
    sa.Column('is_organization', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_authors_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authors')),
    sa.UniqueConstraint('site_id', 'key', name='uq_authors_site_key')
    )
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authors_name'), ['name'], unique=False)

    op.create_table('captures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warc_file', sa.String(length=500), nullable=False),
    sa.Column('warc_offset', sa.BigInteger(), nullable=False),
    sa.Column('warc_length', sa.BigInteger(), nullable=False),
    sa.Column('record_id', sa.String(length=100), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('payload_digest', sa.String(length=100), nullable=True),
    sa.Column('content_type', sa.Text(), nullable=True),
    sa.Column('worker', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_captures_run_id_crawl_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captures')),
    sa.UniqueConstraint('record_id', name=op.f('uq_captures_record_id'))
    )
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captures_run_id'), ['run_id'], unique=False)
        batch_op.create_index('ix_captures_url_fetched', ['url', 'fetched_at'], unique=False)

    op.create_table('categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=400), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['categories.id'], name=op.f('fk_categories_parent_id_categories')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_categories_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('site_id', 'slug', name='uq_categories_site_slug')
    )
    op.create_table('images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_images_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_images')),
    sa.UniqueConstraint('site_id', 'url', name='uq_images_site_url')
    )
    op.create_table('tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=400), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_tags_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tags')),
    sa.UniqueConstraint('site_id', 'slug', name='uq_tags_site_slug')
    )
    op.create_table('article_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('layout', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('lead', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('published', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_raw', sa.Text(), nullable=True),
    sa.Column('modified', sa.DateTime(timezone=True), nullable=True),
    sa.Column('modified_raw', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('word_count', sa.Integer(), nullable=False),
    sa.Column('reading_time_minutes', sa.Integer(), nullable=True),
    sa.Column('comments_url', sa.Text(), nullable=True),
    sa.Column('breadcrumb', sa.JSON(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=True),
    sa.Column('diff', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_article_versions_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], name=op.f('fk_article_versions_capture_id_captures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_versions')),
    sa.UniqueConstraint('article_id', 'version', name='uq_article_versions_article_version')
    )
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_versions_capture_id'), ['capture_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_article_versions_published'), ['published'], unique=False)

    op.create_table('extraction_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('capture_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('layout', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['capture_id'], ['captures.id'], name=op.f('fk_extraction_failures_capture_id_captures')),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_extraction_failures_run_id_crawl_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extraction_failures'))
    )
    with op.batch_alter_table('extraction_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extraction_failures_run_id'), ['run_id'], unique=False)

    op.create_table('article_authors',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['authors.id'], name=op.f('fk_article_authors_author_id_authors')),
    sa.ForeignKeyConstraint(['version_id'], ['article_versions.id'], name=op.f('fk_article_authors_version_id_article_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'author_id', name=op.f('pk_article_authors'))
    )
    with op.batch_alter_table('article_authors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_authors_author_id'), ['author_id'], unique=False)

    op.create_table('article_categories',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_article_categories_category_id_categories')),
    sa.ForeignKeyConstraint(['version_id'], ['article_versions.id'], name=op.f('fk_article_categories_version_id_article_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'category_id', name=op.f('pk_article_categories'))
    )
    with op.batch_alter_table('article_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_categories_category_id'), ['category_id'], unique=False)

    op.create_table('article_images',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('alt', sa.Text(), nullable=True),
    sa.Column('caption', sa.Text(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('is_lead', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_article_images_image_id_images')),
    sa.ForeignKeyConstraint(['version_id'], ['article_versions.id'], name=op.f('fk_article_images_version_id_article_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'position', name=op.f('pk_article_images'))
    )
    with op.batch_alter_table('article_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_images_image_id'), ['image_id'], unique=False)

    op.create_table('article_tags',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_article_tags_tag_id_tags')),
    sa.ForeignKeyConstraint(['version_id'], ['article_versions.id'], name=op.f('fk_article_tags_version_id_article_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'tag_id', name=op.f('pk_article_tags'))
    )
    with op.batch_alter_table('article_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('creator', sa.Text(), nullable=True),
    sa.Column('license', sa.Text(), nullable=True),
    sa.Column('license_url', sa.Text(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('applies_to', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_credits_image_id_images')),
    sa.ForeignKeyConstraint(['version_id'], ['article_versions.id'], name=op.f('fk_credits_version_id_article_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credits'))
    )
    with op.batch_alter_table('credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credits_creator'), ['creator'], unique=False)
        batch_op.create_index(batch_op.f('ix_credits_image_id'), ['image_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credits_license'), ['license'], unique=False)
        batch_op.create_index(batch_op.f('ix_credits_version_id'), ['version_id'], unique=False)

    op.create_table('links',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('target_post_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['article_versions.id'], name=op.f('fk_links_version_id_article_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'kind', 'position', name=op.f('pk_links'))
    )
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_links_target_post_id'), ['target_post_id'], unique=False)

    # articles.current_version_id refers forward to article_versions: added once both tables exist.
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_articles_current_version_id_article_versions', 'article_versions',
                                    ['current_version_id'], ['id'])
    create_search_and_views(op.get_bind())


def downgrade() -> None:
    drop_search_and_views(op.get_bind())
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint('fk_articles_current_version_id_article_versions', type_='foreignkey')
    with op.batch_alter_table('links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_links_target_post_id'))

    op.drop_table('links')
    with op.batch_alter_table('credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credits_version_id'))
        batch_op.drop_index(batch_op.f('ix_credits_license'))
        batch_op.drop_index(batch_op.f('ix_credits_image_id'))
        batch_op.drop_index(batch_op.f('ix_credits_creator'))

    op.drop_table('credits')
    with op.batch_alter_table('article_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_tags_tag_id'))

    op.drop_table('article_tags')
    with op.batch_alter_table('article_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_images_image_id'))

    op.drop_table('article_images')
    with op.batch_alter_table('article_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_categories_category_id'))

    op.drop_table('article_categories')
    with op.batch_alter_table('article_authors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_authors_author_id'))

    op.drop_table('article_authors')
    with op.batch_alter_table('extraction_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extraction_failures_run_id'))

    op.drop_table('extraction_failures')
    with op.batch_alter_table('article_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_versions_published'))
        batch_op.drop_index(batch_op.f('ix_article_versions_capture_id'))

    op.drop_table('article_versions')
    op.drop_table('tags')
    op.drop_table('images')
    op.drop_table('categories')
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.drop_index('ix_captures_url_fetched')
        batch_op.drop_index(batch_op.f('ix_captures_run_id'))

    op.drop_table('captures')
    with op.batch_alter_table('authors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authors_name'))

    op.drop_table('authors')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index('ix_articles_site_post')

    op.drop_table('articles')
    op.drop_table('sites')
    with op.batch_alter_table('crawl_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crawl_runs_started_at'))

    op.drop_table('crawl_runs')
