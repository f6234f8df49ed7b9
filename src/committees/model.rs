use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::domain::CommitteeKind;
use super::dto::CommitteeListQuery;
use super::policy::{self, EffectivePolicy, OwnPolicy};
use crate::access::Caller;
use crate::access::filters::committee_filter;
use crate::db::contains_pattern;
use crate::db::schema::committee_policies;
use crate::db::schema::committees;
use crate::error::{ApiError, ApiResult};
use crate::pagination::PageRequest;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = committees, check_for_backend(diesel::pg::Pg))]
pub struct Committee {
    pub id: Uuid,
    pub name: String,
    pub kind: CommitteeKind,
    pub parent_id: Option<Uuid>,
    pub ancestors: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = committees)]
pub struct NewCommittee<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: CommitteeKind,
    pub parent_id: Option<Uuid>,
    // Filled in by the `committees_set_ancestors` trigger; a placeholder satisfies NOT NULL.
    pub ancestors: Vec<Uuid>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = committees)]
pub struct CommitteeChanges<'a> {
    pub name: Option<&'a str>,
    pub parent_id: Option<Option<Uuid>>,
}

/// The committee if it exists and the caller may see it; 404 otherwise.
pub async fn find_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
) -> ApiResult<Committee> {
    committees::table
        .filter(committees::id.eq(id))
        .filter(committee_filter(caller))
        .select(Committee::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("committee"))
}

pub async fn list_visible(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    filters: &CommitteeListQuery,
    page: PageRequest,
) -> ApiResult<Vec<Committee>> {
    let mut query = committees::table
        .filter(committee_filter(caller))
        .into_boxed();
    if let Some(kind) = filters.kind {
        query = query.filter(committees::kind.eq(kind.as_str()));
    }
    if let Some(parent) = filters.parent_id {
        query = query.filter(committees::parent_id.eq(parent));
    }
    if let Some(root) = filters.within {
        query = query.filter(committees::ancestors.contains(vec![root]));
    }
    if let Some(q) = filters.q.as_deref().filter(|q| !q.trim().is_empty()) {
        query = query.filter(committees::name.ilike(contains_pattern(q.trim())));
    }
    if let Some(after) = page.after {
        query = query.filter(committees::id.gt(after));
    }
    Ok(query
        .order(committees::id.asc())
        .limit(page.fetch_limit())
        .select(Committee::as_select())
        .load(conn)
        .await?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: NewCommittee<'_>,
) -> Result<Committee, diesel::result::Error> {
    diesel::insert_into(committees::table)
        .values(&new)
        .returning(Committee::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: CommitteeChanges<'_>,
) -> Result<Committee, diesel::result::Error> {
    diesel::update(committees::table.find(id))
        .set((&changes, committees::updated_at.eq(diesel::dsl::now)))
        .returning(Committee::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<usize, diesel::result::Error> {
    diesel::delete(committees::table.find(id))
        .execute(conn)
        .await
}

/// A committee named in a request body that the caller may place something under. Missing and
/// out-of-scope committees are the same field error, so the body cannot probe the tree.
pub async fn attachable(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    id: Uuid,
    field: &str,
) -> ApiResult<Committee> {
    let committee = find_visible(conn, caller, id)
        .await
        .map_err(|e| e.on_field(field, "no such committee"))?;
    crate::access::tree::check_attach_to_committee(caller, &committee.ancestors)?;
    Ok(committee)
}

/// The policy in force for a committee whose path (root first) is `ancestors`.
pub async fn effective_policy(
    conn: &mut AsyncPgConnection,
    ancestors: &[Uuid],
) -> ApiResult<EffectivePolicy> {
    let rows: Vec<(Uuid, OwnPolicy)> = committee_policies::table
        .filter(committee_policies::committee_id.eq_any(ancestors))
        .select((committee_policies::committee_id, OwnPolicy::as_select()))
        .load(conn)
        .await?;
    Ok(policy::inherit(ancestors, &rows))
}

/// The policies of several committees in one statement (for views): each committee's path
/// with the policies set along it. Generic over the connection so a read can pipeline it.
pub async fn effective_policies<C>(
    conn: &mut C,
    committees: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, EffectivePolicy>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    Ok(paths_and_policies(conn, committees)
        .await?
        .into_iter()
        .map(|(id, (_, policy))| (id, policy))
        .collect())
}

/// Each committee's path (root first) and effective policy, in one statement.
pub async fn paths_and_policies<C>(
    conn: &mut C,
    committees: &[Uuid],
) -> ApiResult<std::collections::HashMap<Uuid, (Vec<Uuid>, EffectivePolicy)>>
where
    C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
{
    use crate::db::schema::committees as c;
    let query = c::table
        .left_join(
            committee_policies::table
                .on(c::ancestors.contains(diesel::dsl::array((committee_policies::committee_id,)))),
        )
        .filter(c::id.eq_any(committees))
        .select((
            c::id,
            c::ancestors,
            committee_policies::committee_id.nullable(),
            Option::<OwnPolicy>::as_select(),
        ));
    let rows: Vec<PolicyOnPath> = query.load(conn).await?;
    Ok(policies_along_paths(rows))
}

/// (committee, its path, the committee on the path that set a policy, that policy).
type PolicyOnPath = (Uuid, Vec<Uuid>, Option<Uuid>, Option<OwnPolicy>);

/// Each committee's path and effective policy from rows of (committee, path, a policy set on
/// the path).
fn policies_along_paths(
    rows: Vec<PolicyOnPath>,
) -> std::collections::HashMap<Uuid, (Vec<Uuid>, EffectivePolicy)> {
    type PathAndPolicies = (Vec<Uuid>, Vec<(Uuid, OwnPolicy)>);
    let mut along: std::collections::HashMap<Uuid, PathAndPolicies> =
        std::collections::HashMap::new();
    for (id, path, setter, set) in rows {
        let entry = along.entry(id).or_insert_with(|| (path, Vec::new()));
        entry.1.extend(setter.zip(set));
    }
    along
        .into_iter()
        .map(|(id, (path, set))| {
            let policy = policy::inherit(&path, &set);
            (id, (path, policy))
        })
        .collect()
}
