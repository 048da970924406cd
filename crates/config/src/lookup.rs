//! The questions the SIP layer asks of the configuration on every request.
//!
//! Searches are linear: a small office's configuration holds tens of entries, and an index
//! would have to be kept in step with the public lists.

use crate::model::{Config, Did, Extension, FeatureCode, Internal, Queue, Trunk};
use crate::voicemail::MailboxView;
use std::net::SocketAddr;

impl Config {
    /// The extension with this number (the SIP user of a REGISTER or of a call's target).
    pub fn extension(&self, number: &str) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.number == number)
    }

    /// The trunk a request from `source` belongs to, or `None` when it is no trunk's (then it
    /// must authenticate as an extension).
    ///
    /// An exact address wins over a listed port of 0, which matches any port of that
    /// address. IPv4 addresses seen through a dual-stack socket (`::ffff:127.0.0.1`) match
    /// their IPv4 form.
    pub fn trunk_for_source(&self, source: SocketAddr) -> Option<&Trunk> {
        let ip = source.ip().to_canonical();
        let find = |port: u16| {
            self.trunks.iter().find(|t| {
                t.inbound_addresses
                    .iter()
                    .any(|a| a.ip().to_canonical() == ip && a.port() == port)
            })
        };
        find(source.port()).or_else(|| find(0))
    }

    /// The voicemail box called `name`: an extension's own (by its number) or a
    /// `[[mailbox]]`.
    pub fn mailbox(&self, name: &str) -> Option<MailboxView> {
        if let Some(extension) = self.extension(name) {
            return Some(MailboxView {
                name: extension.number.clone(),
                pin: extension.voicemail_pin.clone(),
                owners: vec![extension.number.clone()],
                email: extension.email.iter().cloned().collect(),
                language: self.media.language,
            });
        }
        self.mailboxes
            .iter()
            .find(|m| m.name == name)
            .map(|m| MailboxView {
                name: m.name.clone(),
                pin: m.pin.clone(),
                owners: m.owners.clone(),
                email: m.email.clone(),
                language: m.language.unwrap_or(self.media.language),
            })
    }

    /// The boxes whose new messages light `extension`'s lamp: its own, then the shared boxes
    /// it owns.
    pub fn mailboxes_of(&self, extension: &str) -> Vec<String> {
        let own = self.extension(extension).map(|e| e.number.clone());
        let shared = self
            .mailboxes
            .iter()
            .filter(|m| m.owners.iter().any(|o| o == extension))
            .map(|m| m.name.clone());
        own.into_iter().chain(shared).collect()
    }

    /// The DID with this number, as dialled by the carrier; a leading `+` is ignored, since
    /// carriers differ in whether they send it.
    pub fn did(&self, number: &str) -> Option<&Did> {
        let number = number.strip_prefix('+').unwrap_or(number);
        self.dids.iter().find(|d| d.number == number)
    }

    /// The queue with this name (a DID's `queue:NAME` target).
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// The internal number dialled as `number` (`800`), which leads to a scenario, a
    /// queue or an extension.
    pub fn internal(&self, number: &str) -> Option<&Internal> {
        self.internals.iter().find(|i| i.number == number)
    }

    /// The feature code dialled as `code` (`*51`).
    pub fn feature_code(&self, code: &str) -> Option<&FeatureCode> {
        self.feature_codes.iter().find(|f| f.code == code)
    }
}

#[cfg(test)]
mod tests {
    use crate::demo;
    use std::net::SocketAddr;

    fn addr(text: &str) -> SocketAddr {
        text.parse().expect("test address is valid")
    }

    #[test]
    fn finds_an_extension_by_number() {
        let config = demo();
        assert_eq!(
            config.extension("102").map(|e| e.name.as_str()),
            Some("Boris")
        );
        assert!(config.extension("110").is_none());
    }

    #[test]
    fn finds_the_trunk_of_a_source_address() {
        let config = demo();
        let carrier = config.trunk_for_source(addr("127.0.0.1:5090"));
        assert_eq!(carrier.map(|t| t.name.as_str()), Some("carrier"));
        let mapped = config.trunk_for_source(addr("[::ffff:127.0.0.1]:5090"));
        assert_eq!(mapped.map(|t| t.name.as_str()), Some("carrier"));
        assert!(config.trunk_for_source(addr("127.0.0.1:5060")).is_none());
        assert!(config.trunk_for_source(addr("127.0.0.2:5090")).is_none());
    }

    #[test]
    fn a_port_of_zero_matches_any_port_but_an_exact_address_wins() {
        let mut config = demo();
        let mut any_port = config.trunks[0].clone();
        any_port.name = "any-port".into();
        any_port.inbound_addresses = vec![addr("127.0.0.1:0")];
        config.trunks.insert(0, any_port);
        let name = |source| {
            config
                .trunk_for_source(addr(source))
                .map(|t| t.name.clone())
        };
        assert_eq!(name("127.0.0.1:5090").as_deref(), Some("carrier"));
        assert_eq!(name("127.0.0.1:7000").as_deref(), Some("any-port"));
    }

    #[test]
    fn finds_a_did_with_or_without_plus() {
        let config = demo();
        let target = |n| config.did(n).map(|d| d.target.as_str());
        assert_eq!(target("74950000001"), Some("queue:sales"));
        assert_eq!(target("+74950000002"), Some("queue:support"));
        assert_eq!(target("74950000009"), None);
    }

    #[test]
    fn finds_an_internal_number_and_its_target() {
        let config = demo();
        let internal = config.internal("800").expect("800 is the main menu");
        assert_eq!(
            internal.parsed_target(),
            Ok(crate::DidTarget::Scenario("main"))
        );
        assert!(config.internal("801").is_none());
        assert!(config.internal("101").is_none());
    }

    #[test]
    fn finds_a_feature_code() {
        use crate::{FeatureAction, OverrideMode};
        use sb_flow::schedule::Mode;
        let config = demo();
        let night = config.feature_code("*51").expect("*51 is night mode");
        assert_eq!(night.action, FeatureAction::ScheduleOverride);
        assert_eq!(night.schedule, "main");
        assert_eq!(night.mode, OverrideMode::Night);
        assert_eq!(night.mode.mode(), Some(Mode::Night));
        assert!(night.is_allowed("101"));
        assert!(!night.is_allowed("103"));
        assert_eq!(night.duration(), None);
        let auto = config.feature_code("*50").expect("*50 removes it");
        assert_eq!(Option::<Mode>::from(auto.mode), None);
        assert_eq!(
            config.feature_code("*52").map(|f| f.mode),
            Some(OverrideMode::Day)
        );
        assert!(config.feature_code("*53").is_none());
        assert!(config.feature_code("51").is_none());
    }

    #[test]
    fn finds_a_queue_by_name() {
        let config = demo();
        assert_eq!(
            config.queue("support").map(|q| q.number.as_str()),
            Some("701")
        );
        assert!(config.queue("billing").is_none());
    }
}
