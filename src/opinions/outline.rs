//! What an opinion's timeline event and outbox rows say of it after a write, known before the
//! write is sent. A write therefore sends its event and its announcement with the write itself,
//! in one round trip (`workflow`), and the write's own statement checks the row it leaves
//! against the outline (`Outline::check`, in its RETURNING clause): an outline that disagreed
//! with the row fails that statement, and so the transaction, even one whose COMMIT went out
//! in the same round trip, instead of recording something the row does not say.

use uuid::Uuid;

use super::lifecycle::{Action, State};
use super::model::{self, NewOpinion, Opinion, OpinionChanges};
use crate::error::ApiResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outline {
    pub id: Uuid,
    pub committee_id: Uuid,
    pub state: State,
    pub round: i32,
    pub urgent: bool,
    pub version: i32,
}

impl Outline {
    pub fn of(o: &Opinion) -> Self {
        Self {
            id: o.id,
            committee_id: o.committee_id,
            state: o.state,
            round: o.round,
            urgent: o.urgent,
            version: o.version,
        }
    }

    /// A new opinion as the database makes it: received, round 1, version 1 (the columns'
    /// defaults).
    pub fn received(o: &NewOpinion) -> Self {
        Self {
            id: o.id,
            committee_id: o.committee_id,
            state: State::Received,
            round: 1,
            urgent: o.urgent,
            version: 1,
        }
    }

    /// The opinion once `changes` are applied to `before` (`model::apply` bumps the version).
    pub fn after(before: &Opinion, changes: &OpinionChanges) -> Self {
        Self {
            id: before.id,
            committee_id: changes.committee_id.unwrap_or(before.committee_id),
            state: changes.state.unwrap_or(before.state),
            round: changes.round.unwrap_or(before.round),
            urgent: changes.urgent.unwrap_or(before.urgent),
            version: before.version + 1,
        }
    }

    /// For the RETURNING clause of the write: fails its statement, and so the transaction, unless
    /// the row it leaves is this.
    pub fn check(&self) -> model::left_as {
        model::left_as(
            self.committee_id,
            self.state,
            self.round,
            self.urgent,
            self.version,
        )
    }

    /// Whether the opinion has just become urgent (announced once more, on its own topic).
    pub fn became_urgent(&self, before: Option<&Opinion>) -> bool {
        self.urgent && !before.is_some_and(|o| o.urgent)
    }

    /// Announces the change on `topic` for the webhook and sync workers, in the caller's
    /// transaction. Ids and states only: never personal data.
    pub async fn announce<C>(&self, conn: &mut C, topic: &str, action: Action) -> ApiResult<()>
    where
        C: diesel_async::AsyncConnectionCore<Backend = diesel::pg::Pg> + Send,
    {
        let payload = serde_json::json!({
            "opinion_id": self.id,
            "action": action.as_str(),
            "state": self.state,
            "round": self.round,
            "urgent": self.urgent,
            "committee_id": self.committee_id,
            "version": self.version,
        });
        crate::outbox::enqueue(conn, topic, self.id, self.committee_id, payload).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::opinions::domain::Source;

    fn opinion() -> Opinion {
        let now = Utc::now();
        Opinion {
            id: Uuid::now_v7(),
            committee_id: Uuid::now_v7(),
            constituency_id: Uuid::now_v7(),
            liaison_group_id: None,
            representative_id: None,
            voter_id: None,
            activity_id: None,
            title: "路灯".into(),
            content: "路灯坏了".into(),
            category: "urban_management".into(),
            location: None,
            source: Source::Reception,
            urgent: false,
            public_consent: false,
            state: State::Answered,
            round: 2,
            received_at: now,
            current_due_at: None,
            outcome: None,
            rating: None,
            rating_comment: None,
            rated_at: None,
            version: 7,
            created_by: None,
            created_at: now,
            updated_at: now,
            external_system: None,
            external_id: None,
        }
    }

    #[test]
    fn a_step_changes_what_it_sets_and_the_version_alone() {
        let before = opinion();
        let to = Uuid::now_v7();
        let changes = OpinionChanges {
            state: Some(State::Referred),
            committee_id: Some(to),
            round: Some(3),
            urgent: Some(true),
            ..Default::default()
        };
        let after = Outline::after(&before, &changes);
        assert_eq!(
            after,
            Outline {
                id: before.id,
                committee_id: to,
                state: State::Referred,
                round: 3,
                urgent: true,
                version: 8,
            }
        );
        assert!(after.became_urgent(Some(&before)));
        assert!(!after.became_urgent(Some(&Opinion {
            urgent: true,
            ..before.clone()
        })));

        let untouched = Outline::after(&before, &OpinionChanges::default());
        assert_eq!(
            (untouched.committee_id, untouched.state, untouched.round),
            (before.committee_id, before.state, before.round)
        );
        assert_eq!(untouched.version, 8);
    }
}
