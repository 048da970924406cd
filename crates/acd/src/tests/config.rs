//! The configuration as the operator writes it, and the mistakes it refuses.

use super::*;

#[test]
fn the_short_form_keeps_its_meaning() {
    let config: AcdConfig = toml::from_str(
        r#"
        [[queue]]
        name = "sales"
        number = "700"
        members = ["101", "102"]
        "#,
    )
    .unwrap();
    let q = &config.queues[0];
    assert_eq!((q.name.as_str(), q.number.as_str()), ("sales", "700"));
    assert_eq!(q.strategy, Strategy::RingAll);
    assert_eq!(q.members[1].settings().penalty, 0);
    assert_eq!(*q, {
        let mut expected = QueueConfig::new("sales");
        expected.number = "700".into();
        expected.members = vec![
            MemberEntry::Plain("101".into()),
            MemberEntry::Plain("102".into()),
        ];
        expected
    });
}

#[test]
fn every_key_reads() {
    let config: AcdConfig = toml::from_str(
        r#"
        seed = 99

        [[queue]]
        name = "support"
        number = "701"
        members = ["101", { agent = "102", penalty = 2, weight = 5 }]
        strategy = "weighted_random"
        ring_timeout = 20
        retry = 3
        wrapup = 15
        max_wait = 600
        max_len = 50
        join_empty = "no_members"
        leave_when_empty = "paused"
        ringinuse = true
        autopause = 3
        announce_frequency = 45
        periodic_messages = ["promo-1", "promo-2"]
        periodic_frequency = 60
        weight = 4
        max_penalty = 1
        escalation = [{ after = 30, max_penalty = 2 }, { after = 90, max_penalty = 9 }]
        progressive_step = 7
        service_level = 30
        callback_key = "*"
        callback_attempts = 5
        callback_pause = 120

        [[agent]]
        id = "101"
        wrapup = 40
        "#,
    )
    .unwrap();
    assert_eq!(config.seed, 99);
    let q = &config.queues[0];
    assert_eq!(q.strategy, Strategy::WeightedRandom);
    assert_eq!(
        q.members[1].settings(),
        MemberConfig {
            agent: "102".into(),
            penalty: 2,
            weight: 5
        }
    );
    assert_eq!((q.ring_timeout, q.retry, q.wrapup), (20, 3, 15));
    assert_eq!((q.max_wait, q.max_len), (Some(600), Some(50)));
    assert_eq!(
        (q.join_empty, q.leave_when_empty),
        (EmptyRule::NoMembers, EmptyRule::Paused)
    );
    assert!(q.ringinuse);
    assert_eq!(q.autopause, Some(3));
    assert_eq!((q.announce_frequency, q.periodic_frequency), (45, 60));
    assert_eq!(
        (q.weight, q.max_penalty, q.progressive_step),
        (4, Some(1), 7)
    );
    assert_eq!(
        q.escalation[1],
        Escalation {
            after: 90,
            max_penalty: 9
        }
    );
    assert_eq!(q.service_level, 30);
    assert_eq!(
        (q.callback_key, q.callback_attempts, q.callback_pause),
        (Some('*'), 5, 120)
    );
    assert_eq!(config.agents[0].wrapup, Some(40));
    Acd::new(config).unwrap();
}

#[test]
fn every_strategy_name_reads() {
    for (name, strategy) in [
        ("ring_all", Strategy::RingAll),
        ("round_robin", Strategy::RoundRobin),
        ("linear", Strategy::Linear),
        ("longest_idle", Strategy::LongestIdle),
        ("fewest_calls", Strategy::FewestCalls),
        ("least_talk_time", Strategy::LeastTalkTime),
        ("random", Strategy::Random),
        ("weighted_random", Strategy::WeightedRandom),
        ("ring_progressive", Strategy::RingProgressive),
    ] {
        let text = format!("[[queue]]\nname = \"q\"\nstrategy = \"{name}\"\n");
        let config: AcdConfig = toml::from_str(&text).unwrap();
        assert_eq!(config.queues[0].strategy, strategy);
    }
    let typo = toml::from_str::<AcdConfig>("[[queue]]\nname = \"q\"\nstrategy = \"rrmemory\"\n");
    assert!(typo.unwrap_err().to_string().contains("rrmemory"));
    let unknown = toml::from_str::<AcdConfig>("[[queue]]\nname = \"q\"\nringtimeout = 5\n");
    assert!(unknown.unwrap_err().to_string().contains("ringtimeout"));
}

#[test]
fn mistakes_are_all_reported_at_once() {
    let config: AcdConfig = toml::from_str(
        r#"
        [[queue]]
        name = "q"
        members = ["101", "101"]
        ring_timeout = 0
        escalation = [{ after = 30, max_penalty = 1 }, { after = 30, max_penalty = 2 }]
        callback_key = "x"
        periodic_frequency = 10

        [[queue]]
        name = "q"

        [[agent]]
        id = "101"
        [[agent]]
        id = "101"
        "#,
    )
    .unwrap();
    let errors = Acd::new(config).unwrap_err();
    assert_eq!(
        errors.0,
        [
            ConfigError::DuplicateMember {
                queue: "q".into(),
                agent: "101".into()
            },
            ConfigError::ZeroSeconds {
                queue: "q".into(),
                key: "ring_timeout"
            },
            ConfigError::EscalationOrder("q".into()),
            ConfigError::NotAKey {
                queue: "q".into(),
                key: 'x'
            },
            ConfigError::NoPeriodicMessages("q".into()),
            ConfigError::DuplicateQueue("q".into()),
            ConfigError::DuplicateAgent("101".into()),
        ]
    );
    assert!(errors
        .to_string()
        .starts_with("queue \"q\": agent \"101\" is a member twice; queue \"q\": ring_timeout"));
}
