//! The demo office: the configuration Switchboard runs with when given none.
//!
//! It is a fixed contract (tests, benchmarks and the README rely on its numbers) and the
//! commented file a user starts their own from, so it lives as TOML text in `demo.toml`
//! rather than as Rust values: what is printed is exactly what is run.

use crate::model::Config;
use crate::parse::parse;

/// The demo office's configuration file, comments included, as
/// `switchboard print-demo-config` prints it.
pub const DEMO_TOML: &str = include_str!("../demo.toml");

/// The demo office's configuration, parsed and validated.
pub fn demo() -> Config {
    match parse(DEMO_TOML) {
        Ok(config) => config,
        // Not input: the text is compiled in, and a unit test proves it valid.
        Err(errors) => panic!("the embedded demo configuration is invalid:\n{errors}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Numbering, Pbx};

    #[test]
    fn the_demo_call_flows_are_the_flow_crates_demo() {
        let config = demo();
        assert_eq!(
            config.schedules.get("main"),
            Some(&sb_flow::schedule::demo_schedule_config())
        );
        assert_eq!(
            config.scenarios.get("main"),
            Some(&sb_flow::scenario::demo_main_scenario())
        );
    }

    #[test]
    fn the_demo_validates() {
        if let Err(errors) = parse(DEMO_TOML) {
            panic!("demo.toml has errors:\n{errors}");
        }
    }

    #[test]
    fn the_demo_round_trips_through_toml() {
        let config = demo();
        let text = toml::to_string(&config).expect("a Config serializes");
        assert_eq!(parse(&text), Ok(config));
    }

    #[test]
    fn the_demo_is_the_office_of_demo_md() {
        let config = demo();
        let names = [
            "Anna", "Boris", "Vera", "Gleb", "Dina", "Egor", "Zhanna", "Ivan", "Kira",
        ];
        assert_eq!(config.extensions.len(), names.len());
        for (i, (extension, name)) in config.extensions.iter().zip(names).enumerate() {
            let number = format!("10{}", i + 1);
            assert_eq!(extension.number, number);
            assert_eq!(extension.name, name);
            assert_eq!(extension.password, format!("demo{number}"));
            assert_eq!(extension.mobile, Some(format!("+79000000{number}")));
            assert_eq!(extension.exclude_from_responsible, number == "102");
        }
        assert_eq!(config.pbx, Pbx::default());
        assert_eq!(config.numbering, Numbering::default());

        let carrier = &config.trunks[..];
        assert_eq!(carrier.len(), 1);
        assert_eq!(carrier[0].name, "carrier");
        let local = "127.0.0.1:5090".parse().expect("valid address");
        assert_eq!(carrier[0].inbound_addresses, vec![local]);
        assert_eq!(carrier[0].outbound_address, local);

        let dids: Vec<_> = config
            .dids
            .iter()
            .map(|d| (d.number.as_str(), d.trunk.as_str(), d.target.as_str()))
            .collect();
        assert_eq!(
            dids,
            [
                ("74950000000", "carrier", "scenario:main"),
                ("74950000001", "carrier", "queue:sales"),
                ("74950000002", "carrier", "queue:support"),
            ]
        );

        let queues: Vec<_> = config
            .queues
            .iter()
            .map(|q| {
                (
                    q.name.as_str(),
                    q.number.as_str(),
                    q.member_numbers().join(","),
                )
            })
            .collect();
        assert_eq!(
            queues,
            [
                ("sales", "700", "103,104,105".to_string()),
                ("support", "701", "106,107,108".to_string()),
            ]
        );
    }

    #[test]
    fn the_demo_has_the_internal_number_and_override_codes() {
        use crate::model::{FeatureAction, OverrideMode};
        let config = demo();
        let internals: Vec<_> = config
            .internals
            .iter()
            .map(|i| (i.number.as_str(), i.target.as_str()))
            .collect();
        assert_eq!(
            internals,
            [("800", "scenario:main"), ("6100", "scenario:responsible")]
        );
        let icm = config.icm.expect("the demo has [icm]");
        assert_eq!(icm.order, [sb_icm::SourceId::History]);
        assert_eq!(icm.exclude.iter().collect::<Vec<_>>(), ["102"]);
        assert_eq!(icm.history.window_days, 90);
        let codes: Vec<_> = config
            .feature_codes
            .iter()
            .map(|f| {
                (
                    f.code.as_str(),
                    f.mode,
                    f.schedule.as_str(),
                    f.allowed.join(","),
                )
            })
            .collect();
        assert_eq!(
            codes,
            [
                ("*51", OverrideMode::Night, "main", "101,102".to_string()),
                ("*52", OverrideMode::Day, "main", "101,102".to_string()),
                ("*50", OverrideMode::Auto, "main", "101,102".to_string()),
            ]
        );
        for code in &config.feature_codes {
            assert_eq!(code.action, FeatureAction::ScheduleOverride);
            assert_eq!(code.hours, None);
        }
    }
}
