//! Which greeting a caller hears before leaving a message.
//!
//! An owner going on holiday records a temporary greeting ("I am away until Monday") and
//! expects every caller to hear it, whatever else is recorded; so it overrides the rest.
//! Otherwise the busy greeting plays when the owner was on another call, the unavailable
//! greeting in every other case, and a box with neither speaks the system prompt, with the
//! owner's recorded name in front when there is one ("Anna Petrova is not available").
//! Every greeting ends with the tone: recording starts after it.

use serde::{Deserialize, Serialize};

use crate::say::Say;

/// A recording the mailbox owner makes from the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GreetingKind {
    /// Played when the owner did not answer or could not be reached.
    Unavailable,
    /// Played when the owner was on another call.
    Busy,
    /// Overrides both while it exists (holidays, sick leave).
    Temporary,
    /// The owner's name, said inside the system prompt.
    Name,
}

/// Which recordings a mailbox has; the shell knows from its storage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Greetings {
    /// An unavailable greeting is recorded.
    pub unavailable: bool,
    /// A busy greeting is recorded.
    pub busy: bool,
    /// A temporary greeting is recorded.
    pub temporary: bool,
    /// The owner's name is recorded.
    pub name: bool,
}

impl Greetings {
    /// Whether a recording of `kind` exists.
    pub fn has(&self, kind: GreetingKind) -> bool {
        match kind {
            GreetingKind::Unavailable => self.unavailable,
            GreetingKind::Busy => self.busy,
            GreetingKind::Temporary => self.temporary,
            GreetingKind::Name => self.name,
        }
    }

    /// Notes that a recording of `kind` now exists (`true`) or was removed (`false`).
    pub fn set(&mut self, kind: GreetingKind, exists: bool) {
        let flag = match kind {
            GreetingKind::Unavailable => &mut self.unavailable,
            GreetingKind::Busy => &mut self.busy,
            GreetingKind::Temporary => &mut self.temporary,
            GreetingKind::Name => &mut self.name,
        };
        *flag = exists;
    }
}

/// Why the call went to voicemail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VoicemailReason {
    /// The owner was on another call.
    Busy,
    /// No answer, not registered, out of hours: anything but busy.
    Unavailable,
}

/// What a caller leaving a message in a box with `greetings` hears, ending with the tone.
///
/// ```
/// use sb_voicemail::{caller_greeting, GreetingKind, Greetings, Say, VoicemailReason};
///
/// let greetings = Greetings { busy: true, ..Greetings::default() };
/// assert_eq!(
///     caller_greeting(&greetings, VoicemailReason::Busy),
///     [Say::Greeting(GreetingKind::Busy), Say::Beep],
/// );
/// ```
pub fn caller_greeting(greetings: &Greetings, reason: VoicemailReason) -> Vec<Say> {
    let recorded = if greetings.temporary {
        Some(GreetingKind::Temporary)
    } else if reason == VoicemailReason::Busy && greetings.busy {
        Some(GreetingKind::Busy)
    } else if greetings.unavailable {
        Some(GreetingKind::Unavailable)
    } else {
        None
    };
    let mut items = match recorded {
        Some(kind) => vec![Say::Greeting(kind)],
        None if greetings.name => vec![
            Say::Greeting(GreetingKind::Name),
            Say::Prompt(match reason {
                VoicemailReason::Busy => "vm-is-busy",
                VoicemailReason::Unavailable => "vm-is-unavailable",
            }),
            Say::Prompt("vm-leave-message"),
        ],
        None => vec![Say::Prompt("vm-leave-message")],
    };
    items.push(Say::Beep);
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use GreetingKind::{Busy, Name, Temporary, Unavailable};
    use VoicemailReason as Why;

    fn boxed(kinds: &[GreetingKind]) -> Greetings {
        let mut greetings = Greetings::default();
        for &kind in kinds {
            greetings.set(kind, true);
        }
        greetings
    }

    fn greeting(kinds: &[GreetingKind], why: Why) -> Vec<Say> {
        caller_greeting(&boxed(kinds), why)
    }

    #[test]
    fn the_temporary_greeting_overrides_everything() {
        let all = [Unavailable, Busy, Temporary, Name];
        for why in [Why::Busy, Why::Unavailable] {
            assert_eq!(greeting(&all, why), [Say::Greeting(Temporary), Say::Beep]);
            assert_eq!(
                greeting(&[Temporary], why),
                [Say::Greeting(Temporary), Say::Beep]
            );
        }
    }

    #[test]
    fn busy_callers_hear_the_busy_greeting_when_there_is_one() {
        let both = [Unavailable, Busy];
        assert_eq!(greeting(&both, Why::Busy), [Say::Greeting(Busy), Say::Beep]);
        assert_eq!(
            greeting(&both, Why::Unavailable),
            [Say::Greeting(Unavailable), Say::Beep]
        );
        // Busy without a busy greeting: the unavailable one.
        assert_eq!(
            greeting(&[Unavailable], Why::Busy),
            [Say::Greeting(Unavailable), Say::Beep]
        );
    }

    #[test]
    fn a_busy_greeting_alone_is_not_played_to_unavailable_callers() {
        assert_eq!(
            greeting(&[Busy], Why::Unavailable),
            [Say::Prompt("vm-leave-message"), Say::Beep]
        );
    }

    #[test]
    fn without_greetings_the_system_prompt_with_the_name_if_recorded() {
        assert_eq!(
            greeting(&[], Why::Unavailable),
            [Say::Prompt("vm-leave-message"), Say::Beep]
        );
        assert_eq!(
            greeting(&[Name], Why::Unavailable),
            [
                Say::Greeting(Name),
                Say::Prompt("vm-is-unavailable"),
                Say::Prompt("vm-leave-message"),
                Say::Beep
            ]
        );
        assert_eq!(
            greeting(&[Name], Why::Busy),
            [
                Say::Greeting(Name),
                Say::Prompt("vm-is-busy"),
                Say::Prompt("vm-leave-message"),
                Say::Beep
            ]
        );
        // A recorded greeting is the owner's own words: the name is not added to it.
        assert_eq!(
            greeting(&[Name, Unavailable], Why::Unavailable),
            [Say::Greeting(Unavailable), Say::Beep]
        );
    }

    #[test]
    fn greetings_set_and_has_agree() {
        for kind in [Unavailable, Busy, Temporary, Name] {
            let mut greetings = Greetings::default();
            assert!(!greetings.has(kind));
            greetings.set(kind, true);
            assert!(greetings.has(kind));
            let others = [Unavailable, Busy, Temporary, Name]
                .into_iter()
                .filter(|&k| k != kind);
            for other in others {
                assert!(!greetings.has(other), "{kind:?} set {other:?}");
            }
            greetings.set(kind, false);
            assert_eq!(greetings, Greetings::default());
        }
    }
}
