//! The engine with fixed instants: order, mapping, exclusions, cache, time-outs, breakers.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;

/// Monday 2026-11-23, 10:05 in Moscow.
fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn morning() -> DateTime<Utc> {
    at("2026-11-23T10:05:00+03:00")
}

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

const CALLER: &str = "+74951234567";

/// amoCRM, then Bitrix24, then the history; 102 excluded; amoCRM user 7 is Gleb (104),
/// user 3 is Boris (102); Bitrix24 user 1 is Anna (101); Dina by e-mail.
fn config() -> ResolverConfig {
    let mut config = ResolverConfig::new(vec![
        SourceId::AmoCrm,
        SourceId::Bitrix24,
        SourceId::History,
    ]);
    config.exclude.insert("102".into());
    let amo = config.users.entry(SourceId::AmoCrm).or_default();
    amo.insert("7".into(), "104".into());
    amo.insert("3".into(), "102".into());
    config
        .users
        .entry(SourceId::Bitrix24)
        .or_default()
        .insert("1".into(), "101".into());
    config
        .emails
        .insert("dina@example.com".into(), "105".into());
    config
}

fn ask(source: SourceId) -> Step {
    Step::Ask {
        source,
        number: CALLER.into(),
        timeout: Duration::from_millis(800),
    }
}

fn user(found: &str, id: &str) -> Answer {
    Answer::Found(Person {
        found: found.into(),
        who: Employee::User {
            id: id.into(),
            email: None,
            extension: None,
        },
    })
}

fn history(extension: &str) -> Answer {
    Answer::Found(Person {
        found: format!("last answered by {extension} on 2026-11-20"),
        who: Employee::Extension(extension.into()),
    })
}

fn texts(lookup: &Lookup) -> Vec<&str> {
    lookup.trace().iter().map(|e| e.text.as_str()).collect()
}

fn resolved(extension: &str, source: SourceId, reason: &str) -> Step {
    Step::Done(Outcome::Resolved {
        extension: extension.into(),
        source,
        reason: reason.into(),
    })
}

#[test]
fn sources_are_asked_in_order_until_one_names_someone() {
    let mut resolver = Resolver::new(config());
    let now = morning();
    let (mut lookup, step) = resolver.start("8 (495) 123-45-67", now);
    assert_eq!(step, ask(SourceId::AmoCrm));
    assert_eq!(
        resolver.answer(&mut lookup, Answer::NotFound, now),
        ask(SourceId::Bitrix24)
    );
    assert_eq!(
        resolver.answer(&mut lookup, Answer::NotFound, now),
        ask(SourceId::History)
    );
    assert_eq!(
        resolver.answer(&mut lookup, history("105"), now),
        resolved(
            "105",
            SourceId::History,
            "history: last answered by 105 on 2026-11-20"
        )
    );
    assert_eq!(
        texts(&lookup),
        [
            "number: 8 (495) 123-45-67 → +74951234567",
            "amoCRM: not found",
            "bitrix24: not found",
            "history: last answered by 105 on 2026-11-20",
        ]
    );
    assert_eq!(lookup.number(), Some(CALLER));
}

#[test]
fn the_first_source_that_names_someone_wins() {
    let mut resolver = Resolver::new(config());
    let (mut lookup, _) = resolver.start(CALLER, morning());
    let step = resolver.answer(
        &mut lookup,
        user("contact 123, responsible user 7", "7"),
        morning(),
    );
    assert_eq!(
        step,
        resolved(
            "104",
            SourceId::AmoCrm,
            "amoCRM: contact 123, responsible user 7 → ext 104"
        )
    );
    assert_eq!(
        texts(&lookup),
        [
            "number: +74951234567",
            "amoCRM: contact 123, responsible user 7 → ext 104"
        ]
    );
}

#[test]
fn an_excluded_employee_is_passed_over() {
    let mut resolver = Resolver::new(config());
    let now = morning();
    let (mut lookup, _) = resolver.start(CALLER, now);
    assert_eq!(
        resolver.answer(&mut lookup, user("contact 9, responsible user 3", "3"), now),
        ask(SourceId::Bitrix24)
    );
    assert_eq!(
        resolver.answer(&mut lookup, Answer::NotFound, now),
        ask(SourceId::History)
    );
    // The history names Boris too: nobody is left.
    assert_eq!(
        resolver.answer(&mut lookup, history("102"), now),
        Step::Done(Outcome::NotFound {
            reasons: vec![
                "excluded: 102".into(),
                "bitrix24: not found".into(),
                "excluded: 102".into(),
            ]
        })
    );
    assert_eq!(
        texts(&lookup),
        [
            "number: +74951234567",
            "amoCRM: contact 9, responsible user 3 → ext 102",
            "excluded: 102",
            "bitrix24: not found",
            "history: last answered by 102 on 2026-11-20",
            "excluded: 102",
        ]
    );
}

#[test]
fn users_map_by_id_then_email_then_their_own_extension() {
    let cases = [
        (
            Employee::User {
                id: "1".into(),
                email: Some("anna@example.com".into()),
                extension: Some("109".into()),
            },
            Ok("bitrix24: contact 4, responsible user 1 → ext 101"),
        ),
        (
            Employee::User {
                id: "8".into(),
                email: Some("Dina@Example.com ".into()),
                extension: Some("109".into()),
            },
            Ok("bitrix24: contact 4, responsible user 1 → dina@example.com → ext 105"),
        ),
        (
            Employee::User {
                id: "8".into(),
                email: Some("kira@example.com".into()),
                extension: Some("109".into()),
            },
            Ok("bitrix24: contact 4, responsible user 1 → ext 109 (the user's own)"),
        ),
        (
            Employee::User {
                id: "8".into(),
                email: None,
                extension: None,
            },
            Err("bitrix24: contact 4, responsible user 1 → user 8 is not mapped to an extension"),
        ),
        (
            Employee::Email("nobody@example.com".into()),
            Err("bitrix24: contact 4, responsible user 1 → no extension for nobody@example.com"),
        ),
    ];
    for (who, expected) in cases {
        let mut config = config();
        config.order = vec![SourceId::Bitrix24];
        let mut resolver = Resolver::new(config);
        let (mut lookup, _) = resolver.start(CALLER, morning());
        let person = Person {
            found: "contact 4, responsible user 1".into(),
            who,
        };
        let step = resolver.answer(&mut lookup, Answer::Found(person), morning());
        let last = texts(&lookup)[1].to_owned();
        match expected {
            Ok(line) => {
                assert_eq!(last, line);
                assert!(matches!(step, Step::Done(Outcome::Resolved { .. })));
            }
            Err(line) => {
                assert_eq!(last, line);
                assert_eq!(
                    step,
                    Step::Done(Outcome::NotFound {
                        reasons: vec![line.into()]
                    })
                );
            }
        }
    }
}

#[test]
fn a_timeout_or_a_failure_moves_on_to_the_next_source() {
    let mut resolver = Resolver::new(config());
    let now = morning();
    let (mut lookup, _) = resolver.start(CALLER, now);
    assert_eq!(
        resolver.answer(&mut lookup, Answer::Failed("HTTP 500".into()), now),
        ask(SourceId::Bitrix24)
    );
    let later = now + TimeDelta::milliseconds(800);
    assert_eq!(
        resolver.answer(&mut lookup, Answer::TimedOut, later),
        ask(SourceId::History)
    );
    resolver.answer(&mut lookup, history("105"), later);
    assert_eq!(
        texts(&lookup),
        [
            "number: +74951234567",
            "amoCRM: failed: HTTP 500",
            "bitrix24: timed out after 800 ms",
            "history: last answered by 105 on 2026-11-20",
        ]
    );
}

#[test]
fn answers_are_cached_until_the_ttl_passes() {
    let mut resolver = Resolver::new(config());
    let now = morning();
    let (mut first, _) = resolver.start(CALLER, now);
    resolver.answer(&mut first, Answer::NotFound, now);
    resolver.answer(&mut first, user("contact 4, responsible user 1", "1"), now);

    // A minute later nothing is asked: amoCRM's "not found" and Bitrix24's answer are kept.
    let (second, step) = resolver.start(CALLER, now + secs(60));
    assert_eq!(
        step,
        resolved(
            "101",
            SourceId::Bitrix24,
            "bitrix24 (cached): contact 4, responsible user 1 → ext 101"
        )
    );
    assert_eq!(
        texts(&second),
        [
            "number: +74951234567",
            "amoCRM: not found (cached)",
            "bitrix24 (cached): contact 4, responsible user 1 → ext 101",
        ]
    );

    // Five minutes after the answers (the default ttl), they are asked again.
    let (_, step) = resolver.start(CALLER, now + secs(300));
    assert_eq!(step, ask(SourceId::AmoCrm));
}

#[test]
fn the_history_is_asked_every_time() {
    let mut resolver = Resolver::new(ResolverConfig::new(vec![SourceId::History]));
    let now = morning();
    let (mut first, step) = resolver.start(CALLER, now);
    assert_eq!(step, ask(SourceId::History));
    resolver.answer(&mut first, Answer::NotFound, now);
    // A minute later the customer has spoken with someone: the history must be asked again,
    // not answered from a cached "not found".
    let (_, step) = resolver.start(CALLER, now + secs(60));
    assert_eq!(step, ask(SourceId::History));
}

#[test]
fn failures_are_not_cached_and_a_zero_ttl_caches_nothing() {
    let mut resolver = Resolver::new(config());
    let now = morning();
    let (mut lookup, _) = resolver.start(CALLER, now);
    resolver.answer(&mut lookup, Answer::TimedOut, now);
    let (_, step) = resolver.start(CALLER, now + secs(1));
    assert_eq!(step, ask(SourceId::AmoCrm));

    let mut config = config();
    config.cache_ttl = Duration::ZERO;
    let mut resolver = Resolver::new(config);
    let (mut lookup, _) = resolver.start(CALLER, now);
    resolver.answer(
        &mut lookup,
        user("contact 123, responsible user 7", "7"),
        now,
    );
    let (_, step) = resolver.start(CALLER, now);
    assert_eq!(step, ask(SourceId::AmoCrm));
}

/// Fails amoCRM once in a lookup that then finds nothing elsewhere.
fn fail_amocrm_once(resolver: &mut Resolver, now: DateTime<Utc>) -> Lookup {
    let (mut lookup, step) = resolver.start(CALLER, now);
    assert_eq!(step, ask(SourceId::AmoCrm));
    resolver.answer(&mut lookup, Answer::Failed("HTTP 500".into()), now);
    lookup
}

#[test]
fn the_breaker_opens_after_failures_in_a_row_and_closes_on_an_answer() {
    let mut config = config();
    config.order = vec![SourceId::AmoCrm, SourceId::History];
    config.cache_ttl = Duration::ZERO;
    let mut resolver = Resolver::new(config);
    let t0 = morning();
    fail_amocrm_once(&mut resolver, t0);
    fail_amocrm_once(&mut resolver, t0 + secs(1));
    let third = fail_amocrm_once(&mut resolver, t0 + secs(2));
    assert_eq!(
        texts(&third)[1..],
        [
            "amoCRM: failed: HTTP 500",
            "amoCRM: circuit opened, skipped for 60 s after 3 failures in a row",
        ]
    );

    // Open: amoCRM is skipped, the history is asked at once.
    let (lookup, step) = resolver.start(CALLER, t0 + secs(30));
    assert_eq!(step, ask(SourceId::History));
    assert_eq!(
        texts(&lookup)[1],
        "amoCRM: skipped, circuit open for 32 s more after 3 failures in a row"
    );

    // After the cooldown it is tried again; one more failure opens it again at once.
    let again = fail_amocrm_once(&mut resolver, t0 + secs(62));
    assert_eq!(
        texts(&again)[2],
        "amoCRM: circuit opened, skipped for 60 s after 4 failures in a row"
    );
    let (_, step) = resolver.start(CALLER, t0 + secs(63));
    assert_eq!(step, ask(SourceId::History));

    // After that cooldown an answer closes it, and the count starts over.
    let t1 = t0 + secs(122);
    let (mut lookup, step) = resolver.start(CALLER, t1);
    assert_eq!(step, ask(SourceId::AmoCrm));
    resolver.answer(&mut lookup, Answer::NotFound, t1);
    assert_eq!(
        texts(&lookup)[1..3],
        ["amoCRM: answers again, circuit closed", "amoCRM: not found"]
    );
    fail_amocrm_once(&mut resolver, t1 + secs(1));
    let (_, step) = resolver.start(CALLER, t1 + secs(2));
    assert_eq!(step, ask(SourceId::AmoCrm));
}

#[test]
fn an_answer_between_failures_resets_the_count() {
    let mut config = config();
    config.order = vec![SourceId::AmoCrm];
    config.cache_ttl = Duration::ZERO;
    let mut resolver = Resolver::new(config);
    let t0 = morning();
    fail_amocrm_once(&mut resolver, t0);
    fail_amocrm_once(&mut resolver, t0);
    let (mut lookup, _) = resolver.start(CALLER, t0);
    resolver.answer(&mut lookup, Answer::NotFound, t0);
    fail_amocrm_once(&mut resolver, t0);
    fail_amocrm_once(&mut resolver, t0);
    let (_, step) = resolver.start(CALLER, t0);
    assert_eq!(step, ask(SourceId::AmoCrm));
}

#[test]
fn internal_and_garbage_numbers_ask_nobody() {
    let mut resolver = Resolver::new(config());
    let (lookup, step) = resolver.start("101", morning());
    assert_eq!(
        step,
        Step::Done(Outcome::NotFound {
            reasons: vec!["number: 101 is internal".into()]
        })
    );
    assert_eq!(lookup.number(), None);
    let (_, step) = resolver.start("anonymous", morning());
    assert_eq!(
        step,
        Step::Done(Outcome::NotFound {
            reasons: vec!["number: \"anonymous\" is not a phone number".into()]
        })
    );
}

#[test]
fn no_sources_and_late_answers() {
    let mut resolver = Resolver::new(ResolverConfig::new(Vec::new()));
    let (mut lookup, step) = resolver.start(CALLER, morning());
    let nobody = Step::Done(Outcome::NotFound {
        reasons: vec!["no sources configured".into()],
    });
    assert_eq!(step, nobody);
    // An answer after the end changes nothing.
    assert_eq!(
        resolver.answer(&mut lookup, history("105"), morning()),
        nobody
    );
    assert_eq!(
        lookup.outcome(),
        Some(&Outcome::NotFound {
            reasons: vec!["no sources configured".into()],
        })
    );
}
