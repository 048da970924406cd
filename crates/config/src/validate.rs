//! The checks that a configuration makes sense as a whole, beyond what its types say.
//!
//! Every check runs, so an operator sees all mistakes in one go; each is reported at the
//! key path to fix. A number that is dialled (extensions and queues share one dial plan)
//! must mean one thing; every name that is referred to (a DID's trunk, a target, a queue
//! member) must exist, so the SIP layer never meets a dangling reference at call time.

use crate::error::{ConfigError, ConfigErrors};
use crate::model::{Config, Extension, Numbering, OverrideMode, Pbx, Trunk};
use crate::target::DidTarget;
use crate::DigitMethod;
use sb_flow::scenario::{Flows, StepConfig};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;

/// Internal numbers are this many digits: long enough for a few hundred people, short
/// enough not to look like an outside number.
const DIAL_NUMBER_DIGITS: std::ops::RangeInclusive<usize> = 2..=6;
/// A digest password shorter than this is too easy to guess from the network.
const MIN_PASSWORD_CHARS: usize = 4;
/// E.164 allows at most 15 digits; fewer than 3 is no phone number.
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 3..=15;
/// Country calling codes are 1 to 3 digits.
const COUNTRY_CODE_DIGITS: std::ops::RangeInclusive<usize> = 1..=3;
/// Digits after the `*` of a feature code: enough for every feature, short to dial.
const FEATURE_CODE_DIGITS: std::ops::RangeInclusive<usize> = 1..=4;
/// Switchboard's own feature codes (DEMO.md), which a configured code must not shadow.
const BUILT_IN_FEATURE_CODES: [(&str, &str); 5] = [
    ("*97", "own voicemail box"),
    ("*98", "any voicemail box"),
    ("*45", "agent login/logout"),
    ("*46", "agent pause"),
    ("*8", "group pickup"),
];

impl Config {
    /// Checks that the values make sense together and returns every mistake found.
    ///
    /// [`parse`](crate::parse) and [`load_file`](crate::load_file) already call it; call it
    /// on a configuration built or changed in code.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        let mut found = Found::default();
        check_pbx(&self.pbx, &mut found);
        check_numbering(&self.numbering, &mut found);
        // Extensions, queues and internal numbers are dialled alike, so their numbers share
        // one namespace.
        let mut dial_plan: HashMap<&str, String> = HashMap::new();
        check_extensions(&self.extensions, &mut dial_plan, &mut found);
        check_trunks(&self.trunks, &mut found);
        check_moh(self, &mut found);
        check_dids(self, &mut found);
        check_queues(self, &mut dial_plan, &mut found);
        // Star codes of [[feature_code]] tables and star numbers of [[internal]] ones are
        // dialled alike too.
        let mut codes: HashMap<&str, String> = HashMap::new();
        check_feature_codes(self, &mut codes, &mut found);
        check_internals(self, &mut dial_plan, &mut codes, &mut found);
        check_call_flows(self, &mut found);
        check_queue_steps(self, &mut found);
        check_icm(self, &mut found);
        found.0.extend(crate::voicemail::check(self));
        found.0.extend(crate::no_answer::check(self));
        match ConfigErrors::from_vec(found.0) {
            Some(errors) => Err(errors),
            None => Ok(()),
        }
    }
}

/// The mistakes found so far.
#[derive(Default)]
struct Found(Vec<ConfigError>);

impl Found {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError::new(path, message));
    }

    /// Records `key` as `owner`'s in `seen`, or reports that an earlier owner has it.
    fn unique<'a>(
        &mut self,
        seen: &mut HashMap<&'a str, String>,
        key: &'a str,
        owner: String,
        path: String,
    ) {
        match seen.get(key) {
            Some(first) => self.add(path, format!("{key:?} is already used by {first}")),
            None => {
                seen.insert(key, owner);
            }
        }
    }

    fn non_empty(&mut self, path: String, value: &str) {
        if value.trim().is_empty() {
            self.add(path, "must not be empty");
        }
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn check_pbx(pbx: &Pbx, found: &mut Found) {
    found.non_empty("pbx.domain".into(), &pbx.domain);
    if !(1..=600).contains(&pbx.ring_timeout_secs) {
        found.add(
            "pbx.ring_timeout_secs",
            format!("must be 1 to 600 seconds, not {}", pbx.ring_timeout_secs),
        );
    }
    if !(5..=3600).contains(&pbx.rtp_timeout_secs) {
        found.add(
            "pbx.rtp_timeout_secs",
            format!("must be 5 to 3600 seconds, not {}", pbx.rtp_timeout_secs),
        );
    }
    if pbx.register_min_expires < 1 {
        found.add(
            "pbx.register_min_expires",
            format!(
                "must be at least 1 second, not {}",
                pbx.register_min_expires
            ),
        );
    }
    if pbx.register_default_expires < pbx.register_min_expires {
        found.add(
            "pbx.register_default_expires",
            format!(
                "{} is below register_min_expires ({})",
                pbx.register_default_expires, pbx.register_min_expires
            ),
        );
    }
    if pbx.register_default_expires > pbx.register_max_expires {
        found.add(
            "pbx.register_default_expires",
            format!(
                "{} is above register_max_expires ({})",
                pbx.register_default_expires, pbx.register_max_expires
            ),
        );
    }
    if pbx.nonce_ttl_secs < 10 {
        found.add(
            "pbx.nonce_ttl_secs",
            format!("must be at least 10 seconds, not {}", pbx.nonce_ttl_secs),
        );
    }
    if pbx.drain_timeout_secs > 3600 {
        found.add(
            "pbx.drain_timeout_secs",
            format!(
                "must be at most 3600 seconds, not {}",
                pbx.drain_timeout_secs
            ),
        );
    }
    if !(1..=MAX_CALLS_LIMIT).contains(&pbx.max_calls) {
        found.add(
            "pbx.max_calls",
            format!(
                "must be 1 to {MAX_CALLS_LIMIT} calls, not {}",
                pbx.max_calls
            ),
        );
    }
}

/// The most `[pbx] max_calls` may say: each call holds four RTP ports (two per leg), so
/// even the whole port space holds fewer calls than this; a larger number is a typo.
const MAX_CALLS_LIMIT: usize = 100_000;

fn check_numbering(numbering: &Numbering, found: &mut Found) {
    let country = &numbering.country_code;
    if !is_digits(country) || !COUNTRY_CODE_DIGITS.contains(&country.len()) {
        found.add(
            "numbering.country_code",
            format!("{country:?} must be 1 to 3 digits, without +"),
        );
    }
    let area = &numbering.area_code;
    if !area.is_empty() && !is_digits(area) {
        found.add(
            "numbering.area_code",
            format!("{area:?} is not a number of digits"),
        );
    }
}

/// Checks the form of a number dialled inside the PBX; says whether it is well formed.
fn check_dial_number(path: &str, number: &str, found: &mut Found) -> bool {
    let message = if number.starts_with('*') {
        format!("{number:?} starts with *, which begins feature codes")
    } else if !is_digits(number) {
        format!("{number:?} is not a number of digits")
    } else if !DIAL_NUMBER_DIGITS.contains(&number.len()) {
        format!(
            "{number:?} must be {} to {} digits long",
            DIAL_NUMBER_DIGITS.start(),
            DIAL_NUMBER_DIGITS.end()
        )
    } else {
        return true;
    };
    found.add(path, message);
    false
}

fn check_extensions<'a>(
    extensions: &'a [Extension],
    dial_plan: &mut HashMap<&'a str, String>,
    found: &mut Found,
) {
    for (i, extension) in extensions.iter().enumerate() {
        let at = format!("extension[{i}]");
        let number_path = format!("{at}.number");
        if check_dial_number(&number_path, &extension.number, found) {
            found.unique(dial_plan, &extension.number, at.clone(), number_path);
        }
        found.non_empty(format!("{at}.name"), &extension.name);
        if extension.password.is_empty() {
            found.add(format!("{at}.password"), "must not be empty");
        } else if extension.password.chars().count() < MIN_PASSWORD_CHARS {
            found.add(
                format!("{at}.password"),
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            );
        }
        if let Some(mobile) = &extension.mobile {
            if !is_phone_number(mobile) {
                found.add(
                    format!("{at}.mobile"),
                    format!("{mobile:?} is not a phone number (digits, optionally after +)"),
                );
            }
        }
        check_digit_methods(&at, extension.dtmf.as_deref(), found);
    }
}

/// A hold-music class needs something to play.
fn check_moh(config: &Config, found: &mut Found) {
    for (name, class) in &config.moh {
        if class.files.is_empty() {
            found.add(format!("moh.{name}.files"), "must list at least one file");
        }
    }
}

/// An empty `dtmf` list would make every menu deaf to this leg; a method listed twice is a
/// slip worth pointing at.
fn check_digit_methods(at: &str, listed: Option<&[DigitMethod]>, found: &mut Found) {
    let Some(listed) = listed else { return };
    if listed.is_empty() {
        found.add(
            format!("{at}.dtmf"),
            "lists no method: callers' digits would never be heard (leave the key out for the default)",
        );
    }
    for (j, method) in listed.iter().enumerate() {
        if listed[..j].contains(method) {
            found.add(format!("{at}.dtmf[{j}]"), "is listed twice");
        }
    }
}

fn is_phone_number(text: &str) -> bool {
    let digits = text.strip_prefix('+').unwrap_or(text);
    is_digits(digits) && PHONE_DIGITS.contains(&digits.len())
}

fn check_trunks(trunks: &[Trunk], found: &mut Found) {
    let mut names = HashMap::new();
    let mut addresses: HashMap<SocketAddr, String> = HashMap::new();
    for (i, trunk) in trunks.iter().enumerate() {
        let at = format!("trunk[{i}]");
        let name_path = format!("{at}.name");
        if trunk.name.trim().is_empty() {
            found.add(name_path, "must not be empty");
        } else {
            found.unique(&mut names, &trunk.name, at.clone(), name_path);
        }
        if trunk.inbound_addresses.is_empty() {
            found.add(
                format!("{at}.inbound_addresses"),
                "must list at least one address",
            );
        }
        // One source address belonging to two trunks would make a call's trunk a guess.
        for (j, address) in trunk.inbound_addresses.iter().enumerate() {
            match addresses.get(address) {
                Some(first) => found.add(
                    format!("{at}.inbound_addresses[{j}]"),
                    format!("{address} is already used by {first}"),
                ),
                None => {
                    addresses.insert(*address, at.clone());
                }
            }
        }
        check_digit_methods(&at, trunk.dtmf.as_deref(), found);
    }
}

fn check_dids(config: &Config, found: &mut Found) {
    let mut numbers = HashMap::new();
    for (i, did) in config.dids.iter().enumerate() {
        let at = format!("did[{i}]");
        let number_path = format!("{at}.number");
        if is_digits(&did.number) {
            found.unique(&mut numbers, &did.number, at.clone(), number_path);
        } else {
            found.add(
                number_path,
                format!("{:?} is not a number of digits", did.number),
            );
        }
        if !config.trunks.iter().any(|t| t.name == did.trunk) {
            found.add(
                format!("{at}.trunk"),
                format!("unknown trunk {:?}", did.trunk),
            );
        }
        check_target(config, did.parsed_target(), &format!("{at}.target"), found);
    }
}

/// Checks a DID's or an internal number's target: its form, and that what it names exists.
fn check_target(
    config: &Config,
    target: Result<DidTarget<'_>, crate::TargetError>,
    path: &str,
    found: &mut Found,
) {
    match target {
        Err(error) => found.add(path, error.to_string()),
        Ok(DidTarget::Extension(number)) => {
            if !config.extensions.iter().any(|e| e.number == number) {
                found.add(path, format!("unknown extension {number:?}"));
            }
        }
        Ok(DidTarget::Queue(name)) => {
            if !config.queues.iter().any(|q| q.name == name) {
                found.add(path, format!("unknown queue {name:?}"));
            }
        }
        Ok(DidTarget::Scenario(name)) => {
            if !config.scenarios.contains_key(name) && name != crate::RESPONSIBLE_SCENARIO {
                found.add(path, format!("unknown scenario {name:?}"));
            }
        }
    }
}

/// Schedules and scenarios are checked by the call-flow engine itself, which reports its
/// errors at their key paths (`schedule.main.mon[1]`, `scenario.main.steps.menu.digits.12`).
fn check_call_flows(config: &Config, found: &mut Found) {
    let mut schedules = BTreeMap::new();
    for (name, schedule) in &config.schedules {
        match schedule.compile(name) {
            Ok(compiled) => {
                schedules.insert(name.clone(), compiled);
            }
            Err(errors) => {
                for error in errors {
                    found.add(error.path, error.message);
                }
            }
        }
    }
    if schedules.len() != config.schedules.len() {
        // A scenario naming a broken schedule would only repeat its errors.
        return;
    }
    // Extension numbers with their mobiles, for `dial` steps with `mobile = true`.
    let extensions: BTreeMap<String, Option<String>> = config
        .extensions
        .iter()
        .map(|e| (e.number.clone(), e.mobile.clone()))
        .collect();
    if let Err(errors) = Flows::new(config.scenarios.clone(), schedules, extensions) {
        for error in errors {
            found.add(error.path, error.message);
        }
    }
}

/// A scenario's `queue` step must name a queue, and none of its exit keys may be that
/// queue's `callback_key`: one key cannot both leave the queue and keep the place in it.
fn check_queue_steps(config: &Config, found: &mut Found) {
    for (name, scenario) in &config.scenarios {
        for (step_name, step) in &scenario.steps {
            let StepConfig::Queue(step) = step else {
                continue;
            };
            let path = format!("scenario.{name}.steps.{step_name}");
            let Some(queue) = config.queues.iter().find(|q| q.name == step.queue) else {
                found.add(
                    format!("{path}.queue"),
                    format!("unknown queue {:?}", step.queue),
                );
                continue;
            };
            let Some(callback_key) = queue.callback_key else {
                continue;
            };
            for key in step.exit_keys.keys() {
                if key.chars().eq([callback_key]) {
                    found.add(
                        format!("{path}.exit_keys.{key}"),
                        format!(
                            "{key:?} is the callback key of queue {:?}; an exit key must differ",
                            queue.name
                        ),
                    );
                }
            }
        }
    }
}

fn check_queues<'a>(
    config: &'a Config,
    dial_plan: &mut HashMap<&'a str, String>,
    found: &mut Found,
) {
    let mut names = HashMap::new();
    for (i, queue) in config.queues.iter().enumerate() {
        let at = format!("queue[{i}]");
        let name_path = format!("{at}.name");
        if queue.name.trim().is_empty() {
            found.add(name_path, "must not be empty");
        } else {
            found.unique(&mut names, &queue.name, at.clone(), name_path);
        }
        let number_path = format!("{at}.number");
        if check_dial_number(&number_path, &queue.number, found) {
            found.unique(dial_plan, &queue.number, at.clone(), number_path);
        }
        let members = queue.member_numbers();
        check_extension_list(config, &members, &format!("{at}.members"), found);
        check_distributor(queue, &at, found);
        if queue
            .agent_announcement
            .as_ref()
            .is_some_and(|prompt| prompt.trim().is_empty())
        {
            // Whether the prompt exists is checked with the prompts (the SIP layer's plan).
            found.add(format!("{at}.agent_announcement"), "must name a prompt");
        }
    }
}

/// What the distributor itself refuses in one queue (a zero ring timeout, a callback key
/// that is not a key, ...), reported at the key to fix.
fn check_distributor(queue: &crate::model::Queue, at: &str, found: &mut Found) {
    use sb_acd::ConfigError as E;
    let config = sb_acd::AcdConfig {
        queues: vec![queue.0.clone()],
        ..Default::default()
    };
    let Err(errors) = sb_acd::Acd::new(config) else {
        return;
    };
    for error in errors.0 {
        let key = match &error {
            // Reported by the checks above, with the member's index.
            E::DuplicateMember { .. } | E::EmptyAgent(_) | E::EmptyQueueName => continue,
            E::DuplicateQueue(_) | E::DuplicateAgent(_) => continue,
            E::ZeroSeconds { key, .. } => (*key).to_owned(),
            E::EscalationOrder(_) => "escalation".to_owned(),
            E::NotAKey { .. } => "callback_key".to_owned(),
            E::NoPeriodicMessages(_) => "periodic_frequency".to_owned(),
        };
        let message = error.to_string();
        // The engine names the queue; the key path already does.
        let message = match message.split_once(": ") {
            Some((_, rest)) if message.starts_with("queue ") => rest.to_owned(),
            _ => message,
        };
        found.add(format!("{at}.{key}"), message);
    }
}

/// Internal numbers join the dial plan of extensions and queues, so `800` cannot also be a
/// person's number; their targets must exist like a DID's.
/// Internal numbers are dialled numbers or, starting with `*`, star codes that lead to a
/// scenario (a feature code of the operator's own).
fn check_internals<'a>(
    config: &'a Config,
    dial_plan: &mut HashMap<&'a str, String>,
    codes: &mut HashMap<&'a str, String>,
    found: &mut Found,
) {
    for (i, internal) in config.internals.iter().enumerate() {
        let at = format!("internal[{i}]");
        let number_path = format!("{at}.number");
        if internal.number.starts_with('*') {
            check_star_code(codes, &internal.number, &at, &number_path, found);
        } else if check_dial_number(&number_path, &internal.number, found) {
            found.unique(dial_plan, &internal.number, at.clone(), number_path);
        }
        let target = internal.parsed_target();
        check_target(config, target, &format!("{at}.target"), found);
    }
}

/// Feature codes are dialled from phones: each must be a star code of its own, its
/// schedule must exist, and the people allowed to dial it must be extensions.
fn check_feature_codes<'a>(
    config: &'a Config,
    codes: &mut HashMap<&'a str, String>,
    found: &mut Found,
) {
    for (i, feature) in config.feature_codes.iter().enumerate() {
        let at = format!("feature_code[{i}]");
        check_star_code(codes, &feature.code, &at, &format!("{at}.code"), found);
        if !config.schedules.contains_key(&feature.schedule) {
            found.add(
                format!("{at}.schedule"),
                format!("unknown schedule {:?}", feature.schedule),
            );
        }
        check_extension_list(config, &feature.allowed, &format!("{at}.allowed"), found);
        match feature.hours {
            Some(_) if feature.mode == OverrideMode::Auto => found.add(
                format!("{at}.hours"),
                "means nothing with mode \"auto\", which removes the override",
            ),
            Some(0) => found.add(format!("{at}.hours"), "must be at least 1 hour"),
            _ => {}
        }
    }
}

/// A star code: `*` and a few digits, none of Switchboard's own, each dialled code once.
fn check_star_code<'a>(
    codes: &mut HashMap<&'a str, String>,
    code: &'a str,
    at: &str,
    path: &str,
    found: &mut Found,
) {
    let digits = code.strip_prefix('*').unwrap_or_default();
    if !is_digits(digits) || !FEATURE_CODE_DIGITS.contains(&digits.len()) {
        found.add(
            path,
            format!(
                "{code:?} must be * and {} to {} digits",
                FEATURE_CODE_DIGITS.start(),
                FEATURE_CODE_DIGITS.end()
            ),
        );
    } else if let Some((_, what)) = BUILT_IN_FEATURE_CODES.iter().find(|(c, _)| *c == code) {
        found.add(path, format!("{code:?} is Switchboard's own code ({what})"));
    } else {
        found.unique(codes, code, at.to_owned(), path.to_owned());
    }
}

/// A list of extension numbers (queue members, people allowed a feature code): each must
/// exist and appear once.
fn check_extension_list(config: &Config, numbers: &[String], at: &str, found: &mut Found) {
    let mut listed = HashSet::new();
    for (j, member) in numbers.iter().enumerate() {
        let path = format!("{at}[{j}]");
        if !config.extensions.iter().any(|e| &e.number == member) {
            found.add(path, format!("unknown extension {member:?}"));
        } else if !listed.insert(member) {
            found.add(path, format!("{member:?} is listed twice"));
        }
    }
}

/// `[icm]`: the service's own checks (sources listed without their table, URLs, user maps
/// naming no extension number), each at its key path and never quoting a credential; then
/// that every extension it names exists here.
fn check_icm(config: &Config, found: &mut Found) {
    let Some(icm) = &config.icm else { return };
    if let Err(errors) = icm.check() {
        for error in errors.0 {
            found.add(error.path, error.message);
        }
    }
    let known = |number: &str| config.extensions.iter().any(|e| e.number == number);
    for number in &icm.exclude {
        if !known(number) {
            found.add("icm.exclude", format!("unknown extension {number:?}"));
        }
    }
    for (email, number) in &icm.emails {
        if !known(number) {
            found.add(
                format!("icm.emails.{email:?}"),
                format!("unknown extension {number:?}"),
            );
        }
    }
    let user_maps = [
        ("amocrm", icm.amocrm.as_ref().map(|c| &c.users)),
        ("bitrix24", icm.bitrix24.as_ref().map(|c| &c.users)),
        ("megaplan", icm.megaplan.as_ref().map(|c| &c.users)),
    ];
    for (key, users) in user_maps {
        for (id, number) in users.into_iter().flatten() {
            if !known(number) {
                found.add(
                    format!("icm.{key}.users.{id}"),
                    format!("unknown extension {number:?}"),
                );
            }
        }
    }
}
