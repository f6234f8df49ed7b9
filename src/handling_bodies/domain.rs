//! The kinds of handling body.

use crate::db::text_enum;

text_enum!(
    HandlingBodyKind {
        GovernmentDepartment => "government_department",
        SupervisoryCommission => "supervisory_commission",
        Court => "court",
        Procuratorate => "procuratorate",
        TownshipGovernment => "township_government",
        StandingCommittee => "standing_committee",
        CityDeputy => "city_deputy",
        Other => "other",
    }
);
