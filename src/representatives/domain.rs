//! The stored vocabularies of deputies.

use crate::db::text_enum;

text_enum!(Gender { Male => "male", Female => "female" });
text_enum!(
    /// District deputies are elected in a constituency of the district; city deputies may not be.
    Level { District => "district", City => "city" }
);
text_enum!(RepresentativeStatus { Serving => "serving", Left => "left" });
