//! Statements kept prepared that diesel would prepare afresh each time.
//!
//! diesel keeps a statement prepared on its connection only if nothing in it could make its
//! SQL vary without bound: it never keeps an UPDATE (a changeset may set any set of
//! columns), an INSERT with a column left to its default, a batch INSERT of a slice, or raw
//! SQL. Each such statement then costs the database a parse and a plan every time, and the
//! server a round trip to prepare it: a step of an opinion ran four of them. Where the
//! shapes a statement can take are few (the steps' changesets, the referrals of one step),
//! `KeepPrepared` keeps it all the same, one prepared statement per distinct SQL text, as
//! diesel does for every query that is not static.
//!
//! Only for statements whose SQL text takes a bounded number of forms: raw SQL built with
//! `format!`, or a batch of any length, would grow each connection's cache without end.

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};

/// A statement kept prepared on its connection, keyed by its SQL text (see the module).
#[derive(Debug, Clone, Copy)]
pub struct KeepPrepared<Q>(Q);

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for KeepPrepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

/// No static id: the cache is keyed by the SQL text (and bind types), so each form of the
/// statement is prepared once.
impl<Q> QueryId for KeepPrepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for KeepPrepared<Q> {
    type SqlType = Q::SqlType;
}

/// `.keep_prepared()` on any statement.
pub trait KeepPreparedDsl: Sized {
    fn keep_prepared(self) -> KeepPrepared<Self> {
        KeepPrepared(self)
    }
}

impl<Q: QueryFragment<Pg>> KeepPreparedDsl for Q {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::query_builder::QueryFragment;

    use super::KeepPreparedDsl;
    use crate::db::schema::opinions;

    #[test]
    fn an_update_is_kept_prepared_with_the_same_sql() {
        let update = || {
            diesel::update(opinions::table.find(uuid::Uuid::nil()))
                .set(opinions::version.eq(opinions::version + 1))
        };
        let pg = diesel::pg::Pg;
        assert!(!update().is_safe_to_cache_prepared(&pg).unwrap());
        let kept = update().keep_prepared();
        assert!(kept.is_safe_to_cache_prepared(&pg).unwrap());
        assert_eq!(
            diesel::debug_query::<diesel::pg::Pg, _>(&kept).to_string(),
            diesel::debug_query::<diesel::pg::Pg, _>(&update()).to_string()
        );
    }
}
