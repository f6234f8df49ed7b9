//! The committee tree as subqueries. Every scope filter and list filter that means "this
//! committee and everything below it" uses these, so the tree is walked one way everywhere.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{committees, liaison_groups};

/// Ids of `root` and every committee below it, as a subquery (`… IN (subtree_of(root))`).
/// The GIN index on `ancestors` makes it one index lookup.
pub fn subtree_of(
    root: Uuid,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<committees::table, diesel::dsl::Contains<committees::ancestors, Vec<Uuid>>>,
    committees::id,
> {
    committees::table
        .filter(committees::ancestors.contains(vec![root]))
        .select(committees::id)
}

/// The committee a liaison group belongs to, as a subquery.
pub fn committee_of_group(
    group: Uuid,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<liaison_groups::table, diesel::dsl::Eq<liaison_groups::id, Uuid>>,
    liaison_groups::committee_id,
> {
    liaison_groups::table
        .filter(liaison_groups::id.eq(group))
        .select(liaison_groups::committee_id)
}
