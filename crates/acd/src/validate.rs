//! Mistakes in an [`AcdConfig`] that the engine refuses to start with, all reported at
//! once, each naming the queue or agent to fix.

use std::collections::BTreeSet;
use std::fmt;

use crate::config::AcdConfig;

/// One mistake in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Two queues share a name.
    #[error("queue {0:?} is defined twice")]
    DuplicateQueue(String),
    /// A queue name is empty.
    #[error("a queue has an empty name")]
    EmptyQueueName,
    /// An agent is a member of a queue twice.
    #[error("queue {queue:?}: agent {agent:?} is a member twice")]
    DuplicateMember {
        /// The queue.
        queue: String,
        /// The agent.
        agent: String,
    },
    /// An agent id is empty.
    #[error("queue {0:?}: a member has an empty agent id")]
    EmptyAgent(String),
    /// Two `[[agent]]` tables for one agent.
    #[error("agent {0:?} is defined twice")]
    DuplicateAgent(String),
    /// A duration that must be at least one second is zero.
    #[error("queue {queue:?}: {key} must be at least 1 second")]
    ZeroSeconds {
        /// The queue.
        queue: String,
        /// The key.
        key: &'static str,
    },
    /// `escalation` steps are not in increasing order of `after`.
    #[error("queue {0:?}: escalation steps must come in increasing order of `after`")]
    EscalationOrder(String),
    /// A key that is not a telephone keypad key.
    #[error("queue {queue:?}: {key:?} is not a keypad key (0-9, *, #)")]
    NotAKey {
        /// The queue.
        queue: String,
        /// The key.
        key: char,
    },
    /// `periodic_frequency` is set with no `periodic_messages`.
    #[error("queue {0:?}: periodic_frequency is set but periodic_messages is empty")]
    NoPeriodicMessages(String),
}

/// Every mistake found, in the order of the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

fn is_key(key: char) -> bool {
    key.is_ascii_digit() || key == '*' || key == '#'
}

/// Checks the whole configuration.
pub fn validate(config: &AcdConfig) -> Result<(), ConfigErrors> {
    let mut errors = Vec::new();
    let mut names = BTreeSet::new();
    for queue in &config.queues {
        let name = &queue.name;
        if name.is_empty() {
            errors.push(ConfigError::EmptyQueueName);
        } else if !names.insert(name.as_str()) {
            errors.push(ConfigError::DuplicateQueue(name.clone()));
        }
        let mut members = BTreeSet::new();
        for member in &queue.members {
            let agent = member.settings().agent;
            if agent.is_empty() {
                errors.push(ConfigError::EmptyAgent(name.clone()));
            } else if !members.insert(agent.clone()) {
                errors.push(ConfigError::DuplicateMember {
                    queue: name.clone(),
                    agent,
                });
            }
        }
        for (key, value) in [
            ("ring_timeout", queue.ring_timeout),
            ("progressive_step", queue.progressive_step),
        ] {
            if value == 0 {
                errors.push(ConfigError::ZeroSeconds {
                    queue: name.clone(),
                    key,
                });
            }
        }
        if queue.max_wait == Some(0) {
            errors.push(ConfigError::ZeroSeconds {
                queue: name.clone(),
                key: "max_wait",
            });
        }
        if queue
            .escalation
            .windows(2)
            .any(|w| w[0].after >= w[1].after)
        {
            errors.push(ConfigError::EscalationOrder(name.clone()));
        }
        if let Some(key) = queue.callback_key.filter(|&key| !is_key(key)) {
            errors.push(ConfigError::NotAKey {
                queue: name.clone(),
                key,
            });
        }
        if queue.periodic_frequency > 0 && queue.periodic_messages.is_empty() {
            errors.push(ConfigError::NoPeriodicMessages(name.clone()));
        }
    }
    let mut agents = BTreeSet::new();
    for agent in &config.agents {
        if !agents.insert(agent.id.as_str()) {
            errors.push(ConfigError::DuplicateAgent(agent.id.clone()));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(errors))
    }
}
