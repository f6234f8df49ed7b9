//! The stored vocabularies of opinions besides the lifecycle's own (`lifecycle::State`,
//! `Action`, `Rating`): where an opinion came from, how it is passed on, what came of it.

use crate::db::text_enum;

text_enum!(
    Source {
        /// Submitted by the voter through the web or mini-program.
        Online => "online",
        /// Raised at a reception at a home or station (接待).
        Reception => "reception",
        /// Heard on a visit (走访).
        Visit => "visit",
        /// Raised at a forum (座谈).
        Forum => "forum",
        Letter => "letter",
    }
);

text_enum!(
    /// How an opinion is passed on (Art. 6 of the Shijingshan Measures).
    Channel {
        /// A bill or suggestion at the congress session (议案、建议).
        SessionSuggestion => "session_suggestion",
        /// A suggestion to the Standing Committee during recess (闭会期间建议).
        RecessSuggestion => "recess_suggestion",
        /// The "deputy supervision" express channel (代表监督信息直通车).
        SupervisionExpress => "supervision_express",
        /// Remarks at a Standing Committee meeting the deputy attends.
        CommitteeMeeting => "committee_meeting",
        /// A report to the government, supervisory commission, court or procuratorate.
        StateOrganReport => "state_organ_report",
        /// A report to a city-level deputy.
        CityDeputy => "city_deputy",
        /// A township matter to the township government.
        TownshipGovernment => "township_government",
    }
);

text_enum!(
    Outcome {
        Resolved => "resolved",
        PartlyResolved => "partly_resolved",
        /// Cannot be solved now; the reason is explained (暂时不能解决).
        ExplainedUnresolvable => "explained_unresolvable",
    }
);

text_enum!(
    /// How the voter was told.
    FeedBackMethod {
        InPerson => "in_person",
        Phone => "phone",
        Letter => "letter",
        Online => "online",
        Meeting => "meeting",
        Other => "other",
    }
);

text_enum!(
    ReferralRole {
        Lead => "lead",
        Assisting => "assisting",
    }
);
