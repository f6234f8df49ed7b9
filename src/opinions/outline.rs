//! What an opinion's timeline event and outbox rows say of it after a write, known before the
//! write is sent. A write therefore sends its event and its announcement with the write itself,
//! in one round trip (`workflow`), and then confirms the outline against the row the database
//! returned, so an outline that disagreed with the row would roll the write back instead of
//! recording something the row does not say.

use uuid::Uuid;

use super::lifecycle::{Action, State};
use super::model::{NewOpinion, Opinion, OpinionChanges};
use crate::error::{ApiError, ApiResult};

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

    /// Whether the opinion has just become urgent (announced once more, on its own topic).
    pub fn became_urgent(&self, before: Option<&Opinion>) -> bool {
        self.urgent && !before.is_some_and(|o| o.urgent)
    }

    /// Fails the write (rolled back with its transaction) if the row it returned is not what
    /// was recorded of it.
    pub fn confirm(&self, written: &Opinion) -> ApiResult<()> {
        let found = Self::of(written);
        if found == *self {
            Ok(())
        } else {
            Err(ApiError::internal(anyhow::anyhow!(
                "the opinion written ({found:?}) is not what its timeline records ({self:?})"
            )))
        }
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

    #[test]
    fn a_row_unlike_its_outline_fails_the_write() {
        let row = opinion();
        let outline = Outline::of(&row);
        assert!(outline.confirm(&row).is_ok());
        let moved = Opinion {
            version: row.version + 1,
            ..row.clone()
        };
        assert!(outline.confirm(&moved).is_err());
        let elsewhere = Opinion {
            state: State::FedBack,
            ..row
        };
        assert!(outline.confirm(&elsewhere).is_err());
    }
}
