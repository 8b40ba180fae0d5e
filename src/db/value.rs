//! The values stored under keys. Strings only for now; the collection types join this enum.

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(Vec<u8>),
}

impl Value {
    /// The name TYPE replies.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
        }
    }

    /// The name OBJECT ENCODING replies, as Redis 7.0 would for the same value.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => {
                if s.len() <= 20 && crate::util::parse_i64(s).is_some() {
                    "int"
                } else if s.len() <= 44 {
                    "embstr"
                } else {
                    "raw"
                }
            }
        }
    }
}
