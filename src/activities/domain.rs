//! The stored vocabularies of activities: kinds, forms and statuses.

use crate::db::text_enum;
use crate::opinions::domain::Source;

text_enum!(
    /// The ways deputies meet voters (Art. 5 of the Shijingshan Measures, county rules).
    ActivityKind {
        /// 年中集中联系选民
        CentralisedContact => "centralised_contact",
        /// 会前征求意见
        PreSessionConsultation => "pre_session_consultation",
        /// 向选民述职: belongs to exactly one deputy.
        AnnualReport => "annual_report",
        /// 围绕监督议题征求意见
        SupervisionConsultation => "supervision_consultation",
        /// 应选民约请: made from an accepted appointment.
        VoterRequested => "voter_requested",
        /// 市人大代表联系区人大代表和群众
        CityDeputyContact => "city_deputy_contact",
        /// 进站接待
        StationReception => "station_reception",
        /// 视察
        Inspection => "inspection",
    }
);

text_enum!(
    /// Art. 8.5: individual talk, forum, visit, online platform; county rules add reception.
    ActivityForm {
        IndividualTalk => "individual_talk",
        Forum => "forum",
        Visit => "visit",
        Online => "online",
        Reception => "reception",
    }
);

text_enum!(
    ActivityStatus {
        /// Declared by a deputy (代表自行申报), waiting for staff to confirm it.
        Declared => "declared",
        /// A work plan entry with person, time and place set (三落实).
        Planned => "planned",
        Held => "held",
        Cancelled => "cancelled",
        /// A declaration staff did not confirm, with the reason.
        Rejected => "rejected",
    }
);

impl ActivityForm {
    /// How an opinion raised at an activity of this form is recorded as received.
    pub fn opinion_source(self) -> Source {
        match self {
            ActivityForm::Forum => Source::Forum,
            ActivityForm::Reception => Source::Reception,
            ActivityForm::Online => Source::Online,
            ActivityForm::IndividualTalk | ActivityForm::Visit => Source::Visit,
        }
    }
}

text_enum!(
    /// The steps on an activity's timeline.
    ActivityEventKind {
        Planned => "planned",
        /// Time, place, deputies, topic or publication changed while planned.
        Changed => "changed",
        Held => "held",
        Cancelled => "cancelled",
        Declared => "declared",
        Confirmed => "confirmed",
        Rejected => "rejected",
    }
);
