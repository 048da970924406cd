//! Which extensions are in a call now, so ring groups and scenario dials can skip a busy
//! person instead of ringing them in the middle of a conversation.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// Extensions in a call, counted (one person can be in a call and dialling another).
#[derive(Debug, Default)]
pub(crate) struct Presence {
    in_call: Mutex<HashMap<String, usize>>,
}

impl Presence {
    /// Whether `extension` is in at least one call.
    pub fn is_busy(&self, extension: &str) -> bool {
        self.in_call.lock().contains_key(extension)
    }

    /// Marks `extension` as in a call until the returned guard is dropped.
    pub fn enter(self: &Arc<Self>, extension: &str) -> InCall {
        *self.in_call.lock().entry(extension.to_owned()).or_default() += 1;
        InCall {
            presence: Arc::clone(self),
            extension: extension.to_owned(),
        }
    }
}

/// An extension's part in one call; the count goes down however the call task ends.
#[derive(Debug)]
pub(crate) struct InCall {
    presence: Arc<Presence>,
    extension: String,
}

impl Drop for InCall {
    fn drop(&mut self) {
        let mut in_call = self.presence.in_call.lock();
        if let Some(count) = in_call.get_mut(&self.extension) {
            *count -= 1;
            if *count == 0 {
                in_call.remove(&self.extension);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_while_any_call_holds_the_extension() {
        let presence = Arc::new(Presence::default());
        assert!(!presence.is_busy("104"));
        let first = presence.enter("104");
        let second = presence.enter("104");
        assert!(presence.is_busy("104"));
        assert!(!presence.is_busy("105"));
        drop(first);
        assert!(presence.is_busy("104"));
        drop(second);
        assert!(!presence.is_busy("104"));
    }
}
