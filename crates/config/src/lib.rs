//! Switchboard's configuration: the TOML schema, the embedded demo office, and validation
//! that names the key path of every error.

mod model;

pub use model::{Config, Did, Extension, Numbering, Pbx, Queue, Trunk};
