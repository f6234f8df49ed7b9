//! Property test against the real database: random sequences of steps by random roles. Only
//! the legal ones succeed (judged by a model written here, independently of
//! `opinions::lifecycle`), the state always equals the fold of the timeline, the timeline
//! never shrinks, and the live referrals kept on the opinion's row stay those of its referrals.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::World;
use crate::opinions::{answer, feed_back, new_body, refer_to, step, submit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    CommitteeStaff,
    GroupStaff,
    Deputy,
    Body,
    Voter,
    OtherCommittee,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Refer,
    Transfer,
    Answer,
    FeedBack,
    Decline,
    Reopen,
    Rate { unsatisfied: bool },
    Accept,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        Just(Who::Admin),
        Just(Who::CommitteeStaff),
        Just(Who::GroupStaff),
        Just(Who::Deputy),
        Just(Who::Body),
        Just(Who::Voter),
        Just(Who::OtherCommittee),
    ]
}

fn a_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Refer),
        Just(Step::Transfer),
        Just(Step::Answer),
        Just(Step::FeedBack),
        Just(Step::Decline),
        Just(Step::Reopen),
        any::<bool>().prop_map(|unsatisfied| Step::Rate { unsatisfied }),
        Just(Step::Accept),
    ]
}

/// What the test believes about the opinion.
#[derive(Debug)]
struct Model {
    state: &'static str,
    round: u32,
    rating: Option<bool>,
    /// The current lead body: body A (whose account we hold) or the other one.
    lead_is_a: Option<bool>,
    lead_accepted: bool,
    /// Body A's referrals not returned, over all rounds: an earlier round's answer keeps the
    /// opinion visible to it.
    body_a_live: u32,
}

impl Model {
    fn visible_to(&self, who: Who) -> bool {
        match who {
            Who::OtherCommittee => false,
            Who::Body => self.body_a_live > 0,
            _ => true,
        }
    }

    /// Whether `who` may take `step` now, and the state it leads to.
    fn expect(&self, who: Who, step: Step) -> Option<&'static str> {
        if !self.visible_to(who) {
            return None;
        }
        let staff = matches!(who, Who::Admin | Who::CommitteeStaff | Who::GroupStaff);
        let staff_or_deputy = staff || who == Who::Deputy;
        let lead_body = who == Who::Body && self.lead_is_a == Some(true);
        match (self.state, step) {
            ("received", Step::Refer) if staff_or_deputy => Some("referred"),
            // On the spot, in person by default: fed back in the same step.
            ("received", Step::Answer) if who == Who::Deputy => Some("fed_back"),
            ("received", Step::Decline) if staff_or_deputy => Some("declined"),
            ("referred", Step::Transfer) if staff_or_deputy || lead_body => Some("referred"),
            ("referred", Step::Answer) if staff || lead_body => Some("answered"),
            ("referred", Step::Accept) if lead_body && !self.lead_accepted => Some("referred"),
            ("answered", Step::FeedBack) if staff_or_deputy => Some("fed_back"),
            ("fed_back", Step::Rate { .. }) if who == Who::Voter && self.rating.is_none() => {
                Some("fed_back")
            }
            // A reopen goes back to the last lead body: one answered on the spot never had one.
            ("fed_back", Step::Reopen)
                if staff
                    && self.rating == Some(true)
                    && self.round <= 2
                    && self.lead_is_a.is_some() =>
            {
                Some("referred")
            }
            _ => None,
        }
    }

    fn apply(&mut self, step: Step) {
        match step {
            Step::Refer => {
                self.lead_is_a = Some(true);
                self.body_a_live += 1;
                self.lead_accepted = false;
            }
            Step::Transfer => {
                let to_a = self.lead_is_a != Some(true);
                self.lead_is_a = Some(to_a);
                // The lead's referral is returned when it hands the opinion on.
                if to_a {
                    self.body_a_live += 1;
                } else {
                    self.body_a_live -= 1;
                }
                self.lead_accepted = false;
            }
            Step::Accept => self.lead_accepted = true,
            Step::Rate { unsatisfied } => self.rating = Some(unsatisfied),
            Step::Reopen => {
                self.round += 1;
                self.rating = None;
                self.lead_accepted = false;
                if self.lead_is_a == Some(true) {
                    self.body_a_live += 1;
                }
            }
            Step::Answer | Step::FeedBack | Step::Decline => {}
        }
    }
}

struct Fixture {
    w: World,
    other_body: Uuid,
}

impl Fixture {
    fn token(&self, who: Who) -> &str {
        let w = &self.w;
        match who {
            Who::Admin => &w.admin,
            Who::CommitteeStaff => &w.committee_staff_a,
            Who::GroupStaff => &w.group_staff_a,
            Who::Deputy => &w.representative,
            Who::Body => &w.handling_body,
            Who::Voter => &w.voter,
            Who::OtherCommittee => &w.committee_staff_b,
        }
    }

    async fn timeline(&self, id: Uuid) -> Vec<Value> {
        let reply = self
            .w
            .app
            .get(&format!("/api/v1/opinions/{id}/events"), &self.w.admin)
            .await
            .expect(200);
        reply.body["items"].as_array().unwrap().clone()
    }

    async fn take(&self, model: &Model, id: Uuid, who: Who, step: Step) -> u16 {
        let token = self.token(who);
        let app = &self.w.app;
        match step {
            Step::Refer => step_call(self, token, id, refer_to(self.w.body_a)).await,
            Step::Transfer => {
                let to = if model.lead_is_a == Some(true) {
                    self.other_body
                } else {
                    self.w.body_a
                };
                step_call(
                    self,
                    token,
                    id,
                    json!({"action": "transfer", "handling_body_id": to, "reason": "非本单位职责"}),
                )
                .await
            }
            Step::Answer => step_call(self, token, id, answer()).await,
            Step::FeedBack => step_call(self, token, id, feed_back()).await,
            Step::Decline => {
                step_call(
                    self,
                    token,
                    id,
                    json!({"action": "decline", "reason": "个人法律事务", "guidance": "信访办"}),
                )
                .await
            }
            Step::Reopen => step_call(self, token, id, json!({"action": "reopen"})).await,
            Step::Rate { unsatisfied } => {
                let rating = if unsatisfied {
                    "unsatisfied"
                } else {
                    "satisfied"
                };
                app.post(
                    &format!("/api/v1/opinions/{id}/rating"),
                    token,
                    json!({"rating": rating}),
                )
                .await
                .status
                .as_u16()
            }
            Step::Accept => {
                let referrals = app
                    .get(&format!("/api/v1/opinions/{id}/referrals"), &self.w.admin)
                    .await
                    .expect(200);
                let live = referrals.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .rev()
                    .find(|r| r["role"] == "lead" && r["returned_at"].is_null())
                    .map(|r| r["id"].as_str().unwrap().to_owned())
                    .unwrap_or_else(|| Uuid::now_v7().to_string());
                app.post(
                    &format!("/api/v1/opinions/{id}/referrals/{live}/accept"),
                    token,
                    json!({}),
                )
                .await
                .status
                .as_u16()
            }
        }
    }
}

/// (the live referrals kept on the opinion's row, those a fresh reading of the referrals
/// gives), as JSON text (migration 000030).
async fn live_referrals(f: &Fixture, id: Uuid) -> (String, String) {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Live {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kept: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        fresh: String,
    }
    let row: Live = diesel::sql_query(
        "SELECT live_referrals::text AS kept, opinion_live_referrals(id)::text AS fresh
         FROM opinions WHERE id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(id)
    .get_result(&mut f.w.app.db().await)
    .await
    .unwrap();
    (row.kept, row.fresh)
}

async fn step_call(f: &Fixture, token: &str, id: Uuid, body: Value) -> u16 {
    step(&f.w, token, id, body).await.status.as_u16()
}

async fn run_case(f: &Fixture, steps: Vec<(Who, Step)>) -> Result<(), TestCaseError> {
    let id = submit(&f.w).await;
    let mut model = Model {
        state: "received",
        round: 1,
        rating: None,
        lead_is_a: None,
        lead_accepted: false,
        body_a_live: 0,
    };
    let mut seen = f.timeline(id).await;
    for (who, step) in steps {
        let expected = model.expect(who, step);
        let status = f.take(&model, id, who, step).await;
        prop_assert!(status < 500, "{who:?} {step:?}: {status}");
        prop_assert_eq!(
            (200..300).contains(&status),
            expected.is_some(),
            "{:?} {:?} in {:?}: {}",
            who,
            step,
            model,
            status
        );
        if let Some(to) = expected {
            model.state = to;
            model.apply(step);
        }
        let timeline = f.timeline(id).await;
        // Never shrinks, never rewrites: what was there is still there, plus this step.
        prop_assert_eq!(timeline.len(), seen.len() + usize::from(expected.is_some()));
        prop_assert_eq!(&timeline[..seen.len()], &seen[..]);
        let current =
            f.w.app
                .get(&format!("/api/v1/opinions/{id}"), &f.w.admin)
                .await
                .expect(200);
        let fold = timeline.last().unwrap()["to"].clone();
        prop_assert_eq!(&current.body["state"], &fold);
        prop_assert_eq!(current.body["state"].as_str().unwrap(), model.state);
        // Every step that writes or returns a referral leaves the row's copy current.
        let (kept, fresh) = live_referrals(f, id).await;
        prop_assert_eq!(kept, fresh, "{:?} {:?}", who, step);
        seen = timeline;
    }
    Ok(())
}

#[test]
fn random_steps_by_random_roles_follow_the_lifecycle() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fixture = rt.block_on(async {
        let w = World::new().await;
        let other_body = new_body(&w, "区交通委").await;
        Fixture { w, other_body }
    });
    // Sequences are biased toward the happy path so most cases get past the first steps.
    let happy = prop_oneof![
        Just((Who::CommitteeStaff, Step::Refer)),
        Just((Who::Body, Step::Accept)),
        Just((Who::Body, Step::Answer)),
        Just((Who::Deputy, Step::FeedBack)),
        Just((Who::Voter, Step::Rate { unsatisfied: true })),
        Just((Who::GroupStaff, Step::Reopen)),
    ];
    let any_step = (who(), a_step());
    let strategy = proptest::collection::vec(prop_oneof![1 => any_step, 1 => happy], 1..14);
    let mut runner = TestRunner::new(Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |steps| rt.block_on(run_case(&fixture, steps)))
        .unwrap();
}
