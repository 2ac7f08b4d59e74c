"""Periodic figures the search reads: trending scores and tag counts."""

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

log = structlog.get_logger(__name__)

# Downloads and favorites of the last two weeks, each day weighing e^(-age/3):
# yesterday counts 0.72, a week ago 0.10.
TRENDING_SQL = text(
    """
    WITH recent AS (
        SELECT project_id,
               sum((downloads + 3 * favorites) * exp(-(current_date - day) / 3.0))
                 AS score
        FROM project_daily_stats
        WHERE day > current_date - 14
        GROUP BY project_id
    )
    UPDATE projects p SET trending_score = coalesce(r.score, 0)
    FROM projects q LEFT JOIN recent r ON r.project_id = q.id
    WHERE p.id = q.id AND p.trending_score IS DISTINCT FROM coalesce(r.score, 0)
    """
)

# Public projects by tag, kind and flags, then summed for every choice of the
# tag list's filters (3 namespaces x 4 flag choices; empty choices left out).
# Only rows whose figures changed are written: rewriting the whole table every
# few minutes left it full of dead rows that each listing had to step over.
TAG_COUNTS_SQL = text(
    """
    WITH base AS (
        SELECT pt.tag_id, p.kind, p.nsfw, p.nsfl, count(*) AS n
        FROM project_tags pt JOIN projects p ON p.id = pt.project_id
        WHERE p.visibility = 'public'
        GROUP BY pt.tag_id, p.kind, p.nsfw, p.nsfl
    ),
    fresh AS (
        SELECT b.tag_id, ns.namespace, f.with_nsfw, f.with_nsfl,
               sum(b.n) AS n_projects,
               coalesce(sum(b.n) FILTER (WHERE b.nsfw), 0) AS n_nsfw,
               coalesce(sum(b.n) FILTER (WHERE b.nsfl), 0) AS n_nsfl
        FROM base b
        JOIN (VALUES ('*'), ('characters'), ('lorebooks')) AS ns (namespace)
          ON ns.namespace IN ('*', b.kind)
        JOIN (VALUES (true, true), (true, false), (false, true), (false, false))
          AS f (with_nsfw, with_nsfl)
          ON (f.with_nsfw OR NOT b.nsfw) AND (f.with_nsfl OR NOT b.nsfl)
        GROUP BY b.tag_id, ns.namespace, f.with_nsfw, f.with_nsfl
    ),
    gone AS (
        DELETE FROM tag_counts c
        WHERE NOT EXISTS (
            SELECT FROM fresh f
            WHERE (f.tag_id, f.namespace, f.with_nsfw, f.with_nsfl)
                = (c.tag_id, c.namespace, c.with_nsfw, c.with_nsfl)
        )
    )
    INSERT INTO tag_counts AS c
        (tag_id, namespace, with_nsfw, with_nsfl, n_projects, n_nsfw, n_nsfl)
    SELECT * FROM fresh
    ON CONFLICT (tag_id, namespace, with_nsfw, with_nsfl) DO UPDATE
    SET n_projects = excluded.n_projects, n_nsfw = excluded.n_nsfw,
        n_nsfl = excluded.n_nsfl
    WHERE (c.n_projects, c.n_nsfw, c.n_nsfl)
        IS DISTINCT FROM (excluded.n_projects, excluded.n_nsfw, excluded.n_nsfl)
    """
)


async def refresh(session: AsyncSession) -> None:
    """Recompute trending scores and the public tag counts."""
    trending = await session.execute(TRENDING_SQL)
    await session.execute(TAG_COUNTS_SQL)
    log.info("search.stats_refreshed", trending_rows=getattr(trending, "rowcount", 0))
