//! RESP wire protocol: incremental request decoding (multibulk and inline) and reply encoding
//! for RESP2 and RESP3. Nothing here touches a socket; it works on byte buffers only.
pub mod decode;
pub mod encode;
pub mod frame;
pub mod reply;

pub use decode::{DecodeError, Decoder};
pub use reply::Reply;
