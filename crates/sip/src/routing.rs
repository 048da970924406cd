//! Where an incoming INVITE goes: a pure decision from the configuration, who is calling
//! and the number dialled. No I/O, so every rule is a unit test.

use sb_config::{Config, DidTarget, Extension};

/// Who is calling, once the request is authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A registered phone that proved its password.
    Extension { number: String, name: String },
    /// The carrier, recognised by the address its request came from.
    Trunk { name: String, number: String },
}

impl Caller {
    /// The number shown to the callee.
    pub fn number(&self) -> &str {
        match self {
            Caller::Extension { number, .. } | Caller::Trunk { number, .. } => number,
        }
    }

    /// The display name shown to the callee, when the PBX knows one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Caller::Extension { name, .. } => Some(name),
            Caller::Trunk { .. } => None,
        }
    }

    /// The call record's endpoint column: `extension:101` or `trunk:carrier`.
    pub fn endpoint(&self) -> String {
        match self {
            Caller::Extension { number, .. } => format!("extension:{number}"),
            Caller::Trunk { name, .. } => format!("trunk:{name}"),
        }
    }

    /// The extension number, for a call from inside.
    pub fn extension(&self) -> Option<&str> {
        match self {
            Caller::Extension { number, .. } => Some(number),
            Caller::Trunk { .. } => None,
        }
    }
}

/// The decision for one INVITE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Ring every registered device of this extension.
    Extension { number: String, name: String },
    /// Ring this extension, whose voicemail box takes the call when nobody answers, the
    /// person is busy or no phone is registered (`voicemail_on_no_answer`): the PBX holds
    /// the call and walks the implicit scenario `extension:NUMBER`, a `dial` then a
    /// `voicemail` step, so the greeting, message, e-mail, lamp and task are the step's.
    ExtensionWithVoicemail { number: String, name: String },
    /// Send the call out through a trunk to an outside number (`9` + number from inside).
    Trunk { trunk: String, number: String },
    /// Run the call through a scenario (`[scenario.NAME]`): the PBX answers it itself.
    Scenario { name: String },
    /// A star code from an extension (`[[feature_code]]`), such as a schedule override.
    Feature { code: String },
    /// Put the call into this queue (`queue:NAME`, or the queue's internal number).
    Queue { name: String },
    /// An agent's own code: `*45` logs in or out of one's queues, `*46` pauses or unpauses.
    AgentCode { code: AgentCode },
    /// Listening to voicemail by phone: `*97` one's own box, `*98` a box keyed in.
    Mailbox { code: MailboxCode },
    /// A number that exists but leads to a part of the PBX not built yet (a queue): the
    /// caller gets 480 and the log names the target.
    NotAvailable { target: String },
    /// Nothing answers to this number: 404.
    NotFound,
}

/// The agents' built-in feature codes (DEMO.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentCode {
    /// `*45`: log in to one's queues, or out of them.
    Login,
    /// `*46`: pause, or unpause.
    Pause,
}

/// The voicemail codes (DEMO.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailboxCode {
    /// `*97`: the caller's own box.
    Own,
    /// `*98`: any box, its number keyed after the call is answered.
    Any,
}

/// The digits of a dialled number: `+7 (495) 000-00-00` and `74950000000` are the same DID.
fn digits(dialled: &str) -> String {
    dialled.chars().filter(char::is_ascii_digit).collect()
}

/// Decides where a call from `caller` to `dialled` (the Request-URI user part) goes.
pub fn route(config: &Config, caller: &Caller, dialled: &str) -> Route {
    if let Some(ext) = config.extension(dialled) {
        return extension(config, caller, ext);
    }
    match caller {
        Caller::Trunk { name, .. } => {
            let number = digits(dialled);
            match config
                .dids
                .iter()
                .find(|did| did.trunk == *name && did.number == number)
            {
                Some(did) => did_target(config, caller, &did.target),
                None => Route::NotFound,
            }
        }
        Caller::Extension { .. } => {
            match dialled {
                "*45" => {
                    return Route::AgentCode {
                        code: AgentCode::Login,
                    }
                }
                "*46" => {
                    return Route::AgentCode {
                        code: AgentCode::Pause,
                    }
                }
                "*97" => {
                    return Route::Mailbox {
                        code: MailboxCode::Own,
                    }
                }
                "*98" => {
                    return Route::Mailbox {
                        code: MailboxCode::Any,
                    }
                }
                _ => {}
            }
            if let Some(feature) = config.feature_code(dialled) {
                return Route::Feature {
                    code: feature.code.clone(),
                };
            }
            if let Some(internal) = config.internal(dialled) {
                return did_target(config, caller, &internal.target);
            }
            if let Some(queue) = config.queues.iter().find(|q| q.number == dialled) {
                return Route::Queue {
                    name: queue.name.clone(),
                };
            }
            match (dialled.strip_prefix('9'), config.trunks.first()) {
                (Some(outside), Some(trunk)) if !digits(outside).is_empty() => Route::Trunk {
                    trunk: trunk.name.clone(),
                    number: digits(outside),
                },
                _ => Route::NotFound,
            }
        }
    }
}

/// A direct call to `ext`: to its voicemail box when unanswered, if it has voicemail on no
/// answer, unless the person is calling their own number (ringing one's other phones is
/// no reason to leave oneself a message).
fn extension(config: &Config, caller: &Caller, ext: &Extension) -> Route {
    let number = ext.number.clone();
    let name = ext.name.clone();
    let own = caller.extension() == Some(ext.number.as_str());
    if !own && config.no_answer_voicemail(&ext.number).is_some() {
        Route::ExtensionWithVoicemail { number, name }
    } else {
        Route::Extension { number, name }
    }
}

/// Where a DID's or an internal number's target leads; targets are validated with the
/// configuration, so one that does not parse only happens with a hand-built config.
fn did_target(config: &Config, caller: &Caller, target: &str) -> Route {
    match DidTarget::parse(target) {
        Ok(DidTarget::Scenario(name)) => Route::Scenario {
            name: name.to_owned(),
        },
        Ok(DidTarget::Extension(number)) => match config.extension(number) {
            Some(ext) => extension(config, caller, ext),
            None => Route::NotFound,
        },
        Ok(DidTarget::Queue(name)) => Route::Queue {
            name: name.to_owned(),
        },
        Err(_) => Route::NotAvailable {
            target: target.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_ext() -> Caller {
        Caller::Extension {
            number: "101".into(),
            name: "Anna".into(),
        }
    }

    fn from_trunk() -> Caller {
        Caller::Trunk {
            name: "carrier".into(),
            number: "79161234567".into(),
        }
    }

    #[test]
    fn extension_to_extension() {
        let config = sb_config::demo();
        assert_eq!(
            route(&config, &from_ext(), "104"),
            Route::Extension {
                number: "104".into(),
                name: "Gleb".into()
            }
        );
    }

    #[test]
    fn an_extension_with_voicemail_on_no_answer_has_its_box_behind_it() {
        let vera = Route::ExtensionWithVoicemail {
            number: "103".into(),
            name: "Vera".into(),
        };
        let mut config = sb_config::demo();
        assert!(matches!(
            route(&config, &from_ext(), "103"),
            Route::Extension { .. }
        ));
        config.voicemail.on_no_answer = true;
        config.extensions[1].voicemail_on_no_answer = Some(false);
        assert_eq!(route(&config, &from_ext(), "103"), vera);
        assert_eq!(route(&config, &from_trunk(), "103"), vera);
        assert!(matches!(
            route(&config, &from_ext(), "102"),
            Route::Extension { .. }
        ));
        // Anna calling her own number rings her other phones, and never her own box.
        assert_eq!(
            route(&config, &from_ext(), "101"),
            Route::Extension {
                number: "101".into(),
                name: "Anna".into()
            }
        );
        // A DID leading to the extension is a direct call to it too.
        config.dids[1].target = "extension:103".into();
        assert_eq!(route(&config, &from_trunk(), "74950000001"), vera);
    }

    #[test]
    fn unknown_number_is_not_found() {
        let config = sb_config::demo();
        assert_eq!(route(&config, &from_ext(), "555"), Route::NotFound);
        assert_eq!(
            route(&config, &from_trunk(), "74959999999"),
            Route::NotFound
        );
    }

    #[test]
    fn trunk_reaches_extension_and_dids() {
        let config = sb_config::demo();
        assert!(matches!(
            route(&config, &from_trunk(), "103"),
            Route::Extension { .. }
        ));
        assert_eq!(
            route(&config, &from_trunk(), "+74950000001"),
            Route::Queue {
                name: "sales".into()
            }
        );
        assert_eq!(
            route(&config, &from_trunk(), "74950000000"),
            Route::Scenario {
                name: "main".into()
            }
        );
    }

    #[test]
    fn nine_goes_out_through_the_trunk() {
        let config = sb_config::demo();
        assert_eq!(
            route(&config, &from_ext(), "989161234567"),
            Route::Trunk {
                trunk: "carrier".into(),
                number: "89161234567".into()
            }
        );
        assert_eq!(route(&config, &from_ext(), "9"), Route::NotFound);
    }

    #[test]
    fn internal_numbers_and_feature_codes_from_inside() {
        let config = sb_config::demo();
        assert_eq!(
            route(&config, &from_ext(), "800"),
            Route::Scenario {
                name: "main".into()
            }
        );
        assert_eq!(
            route(&config, &from_ext(), "*51"),
            Route::Feature { code: "*51".into() }
        );
        assert_eq!(route(&config, &from_ext(), "*59"), Route::NotFound);
        // From the carrier, 800 is not a DID.
        assert_eq!(route(&config, &from_trunk(), "800"), Route::NotFound);
    }

    #[test]
    fn an_internal_star_code_leads_to_its_target() {
        let mut config = sb_config::demo();
        config.internals[0].number = "*800".into();
        assert_eq!(
            route(&config, &from_ext(), "*800"),
            Route::Scenario {
                name: "main".into()
            }
        );
    }

    #[test]
    fn queue_numbers_and_agent_codes_from_inside() {
        let config = sb_config::demo();
        assert_eq!(
            route(&config, &from_ext(), "700"),
            Route::Queue {
                name: "sales".into()
            }
        );
        assert_eq!(
            route(&config, &from_ext(), "*45"),
            Route::AgentCode {
                code: AgentCode::Login
            }
        );
        assert_eq!(
            route(&config, &from_ext(), "*46"),
            Route::AgentCode {
                code: AgentCode::Pause
            }
        );
        assert_eq!(route(&config, &from_trunk(), "*45"), Route::NotFound);
    }

    #[test]
    fn voicemail_codes_from_inside_only() {
        let config = sb_config::demo();
        assert_eq!(
            route(&config, &from_ext(), "*97"),
            Route::Mailbox {
                code: MailboxCode::Own
            }
        );
        assert_eq!(
            route(&config, &from_ext(), "*98"),
            Route::Mailbox {
                code: MailboxCode::Any
            }
        );
        assert_eq!(route(&config, &from_trunk(), "*97"), Route::NotFound);
        assert_eq!(route(&config, &from_trunk(), "*98"), Route::NotFound);
    }
}
