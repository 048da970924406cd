//! Switchboard's configuration: the TOML schema, the embedded demo office, and validation
//! that names the key path of every error.
//!
//! A configuration is read with [`parse`] or [`load_file`], which check the TOML, the types
//! and unknown keys, then [`Config::validate`] the whole: every mistake comes back at once
//! in [`ConfigErrors`], one line each, like `did[0].trunk: unknown trunk "carier"`. With no
//! file, Switchboard runs the demo office, [`demo`], whose commented text [`DEMO_TOML`] is
//! also the template for a user's own file. A validated [`Config`] answers the SIP layer's
//! questions: [`Config::extension`], [`Config::trunk_for_source`], [`Config::did`],
//! [`Config::internal`], [`Config::feature_code`], [`Config::mailbox`],
//! [`Config::no_answer_voicemail`].

mod demo;
mod digits;
mod error;
mod icm_ser;
mod locate;
mod lookup;
mod media;
mod model;
mod no_answer;
mod parse;
mod queue_ser;
mod target;
mod validate;
mod voicemail;

pub use demo::{demo, DEMO_TOML};
pub use digits::{DigitMethod, DigitMethods};
pub use error::{ConfigError, ConfigErrors};
pub use media::{Language, Media, MohClass, TonePlan};
pub use model::{
    Config, Did, Extension, FeatureAction, FeatureCode, Internal, Numbering, OverrideMode, Pbx,
    Queue, Trunk, RESPONSIBLE_SCENARIO,
};
pub use parse::{load_file, parse};
/// The distributor's configuration types that `[[queue]]` is made of.
pub use sb_acd::{
    AcdConfig, EmptyRule, Escalation, MemberConfig, MemberEntry, QueueConfig, Strategy,
};
/// The `[icm]` table: the responsible-manager service's own configuration type.
pub use sb_icm::IcmConfig;
pub use target::{DidTarget, TargetError};
pub use voicemail::{Mailbox, MailboxView, Voicemail};
