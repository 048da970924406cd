//! A queue's agent hears who is calling before the caller is put through
//! (`announce_to_agent`, Asterisk's `announce` and `reportholdtime`): the queue's
//! `agent_announcement`, or a generic "a call from the queue", then how long the caller
//! waited, on the agent's leg alone and in the office's language (`[media] language`: the
//! agent is the office's, whatever language the caller was spoken to in).
//!
//! The caller keeps hearing the queue's music meanwhile. When the announcement ends (its
//! end reported on the agent's leg, or, as a safety net, once it should long have ended)
//! the music stops and the legs are joined.
//!
//! The distributor counts the call as answered from the agent's answer on, so during the
//! announcement the agent's leg is already the call's `dial`: an agent who hangs up ends
//! the call as a hang-up after the caller was put through does (the PBX hangs up the
//! caller, the call is recorded as hung up by the callee, and the queue hears that the
//! talk ended), and a caller who hangs up ends the agent's leg with the call.

use super::ScenarioCall;
use sb_acd::Whisper;
use sb_media::audio::{say, Language};
use sb_media::PlayId;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{info, warn};

/// How long past its length an announcement may run before the legs are joined anyway:
/// the end of a playback is reported within a frame, so this only covers a report lost.
const GRACE: Duration = Duration::from_secs(2);

/// The generic prompt for a queue without an `agent_announcement`.
const GENERIC_PROMPT: &str = "queue-agent-call";

/// The announcement playing to the agent.
pub(super) struct AgentWhisper {
    /// Its playback on the agent's leg.
    play: PlayId,
    /// When the legs are joined even if its end was never reported.
    pub deadline: Instant,
}

impl ScenarioCall<'_> {
    /// Starts the announcement on the agent's leg (the call's `dial`) when the queue has
    /// `announce_to_agent`; `false` when it has not, or nothing of it can be played, and
    /// the legs are to be joined at once.
    pub(super) fn whisper_to_agent(&mut self, whisper: &Whisper) -> bool {
        let Some(queue) = self
            .plan
            .config
            .queue(&whisper.queue)
            .filter(|queue| queue.announce_to_agent)
        else {
            return false;
        };
        let Some(dialer) = &self.dial else {
            return false;
        };
        let language = self.shared.voice.language;
        let names = words(
            language,
            queue.agent_announcement.as_deref(),
            whisper.waited_secs,
        );
        let clips = self.shared.voice.clips(language, names);
        if clips.is_empty() {
            return false;
        }
        let length: Duration = clips.iter().map(|clip| clip.duration()).sum();
        info!(queue = %whisper.queue, waited_secs = whisper.waited_secs, "announcing the call to the agent");
        self.whisper = Some(AgentWhisper {
            play: dialer.endpoint.play(clips),
            deadline: Instant::now() + length + GRACE,
        });
        true
    }

    /// A playback on the callee's leg ended: when it was the announcement, the caller is
    /// put through.
    pub(super) fn agent_played(&mut self, id: PlayId) {
        if self.whisper.as_ref().is_some_and(|w| w.play == id) {
            self.whisper_over();
        }
    }

    /// The announcement's time is up without its end being reported: the caller is put
    /// through all the same.
    pub(super) fn whisper_timed_out(&mut self) {
        warn!(
            "the end of the announcement to the agent was not reported: putting the caller through"
        );
        self.whisper_over();
    }

    /// The caller's music stops (unless the agent holds the caller, whose hold music
    /// stays) and the legs are joined.
    fn whisper_over(&mut self) {
        if self.whisper.take().is_none() {
            return;
        }
        if self.caller_on_hold.is_none() {
            self.endpoint.stop();
        }
        self.join_agent();
    }
}

/// What the agent hears: the queue's own prompt, or the generic one, then the wait.
fn words(language: Language, announcement: Option<&str>, waited_secs: u64) -> Vec<&str> {
    let mut words = vec![announcement.unwrap_or(GENERIC_PROMPT)];
    words.extend(say::waited(language, waited_secs));
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queues_prompt_or_the_generic_one_then_the_wait() {
        assert_eq!(
            words(Language::En, None, 5),
            [
                "queue-agent-call",
                "queue-agent-waited",
                "num-5",
                "seconds-other"
            ]
        );
        assert_eq!(
            words(Language::Ru, Some("sales-for-agents"), 61),
            [
                "sales-for-agents",
                "queue-agent-waited",
                "num-1f",
                "minutes-one",
                "num-1f",
                "seconds-one"
            ]
        );
    }
}
