//! What each call-progress tone sounds like in each national plan: frequencies, level and
//! cadence, with where the values come from.
//!
//! Sources:
//! - **Russia**: the "Правила применения оборудования коммутации" of the Russian ministry of
//!   communications (for example order No. 133 of 21.10.2009, table 1 "Параметры
//!   информационных акустических сигналов"): all tones 425 Hz at -15 to -5 dB; "Контроль
//!   посылки вызова" (ringback) 1.0 ± 0.1 s on, 4.0 ± 0.4 s off; "Занято" (busy) 0.3-0.4 s on
//!   and off; "Занято при перегрузке" (congestion) 0.15-0.2 s on and off. Older exchanges and
//!   some equipment's Russian settings (Asterisk's `ru` among them) play ringback 0.8 s on,
//!   3.2 s off; the rules say 1 s / 4 s. The rules give no call-waiting tone; the one here
//!   (425 Hz, 0.2 s every 5.2 s) is Asterisk's `ru` one.
//! - **Europe**: the 425 Hz tones recommended by ETSI (ETR 187, TR 101 041) and used by most
//!   EU networks: ringing tone 1 s on, 4 s off; busy 0.5 s on and off; congestion 0.25 s on
//!   and off; call waiting 0.2 s on, 0.2 s off, 0.2 s on, then 5 s off (as listed for
//!   Germany in ITU-T's tables of national tones, E.180 supplement 2).
//! - **US**: the North American precise audible tone plan (ITU-T E.300-series supplement 3,
//!   ANSI T1.401): audible ringing 440 + 480 Hz at -19 dBm0 each, 2 s on, 4 s off; busy
//!   480 + 620 Hz at -24 dBm0 each, 0.5 s on and off; reorder (congestion) the same at
//!   0.25 s on and off; call waiting 440 Hz at -13 dBm0 for 0.3 s, repeated here every 10 s.
//! - **Beep**: no standard fixes a "record after the tone" signal; 1 kHz for 0.25 s, once,
//!   is what voicemail systems commonly play, and it is the same in every plan.
//!
//! Where a source gives a range, the value here is inside it. Where it gives no level, the
//! level is -10 dBm0 (Russia, inside its -15 to -5 dB) or -13 dBm0 (Europe), common levels
//! for network tones.

/// The call-progress signals the PBX plays to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToneKind {
    /// The called party's phone is ringing.
    Ringback,
    /// The called party is busy.
    Busy,
    /// The network (or the PBX) cannot complete the call now; "reorder" or "fast busy".
    Congestion,
    /// A short tone that marks the start of something, such as a voicemail recording.
    Beep,
    /// Another call is waiting, played to a party already in a call.
    CallWaiting,
}

impl ToneKind {
    /// Every tone, for messages that list them.
    pub const ALL: [ToneKind; 5] = [
        ToneKind::Ringback,
        ToneKind::Busy,
        ToneKind::Congestion,
        ToneKind::Beep,
        ToneKind::CallWaiting,
    ];

    /// The name a configuration writes (`tone:busy` in a scenario's prompts).
    pub fn name(self) -> &'static str {
        match self {
            ToneKind::Ringback => "ringback",
            ToneKind::Busy => "busy",
            ToneKind::Congestion => "congestion",
            ToneKind::Beep => "beep",
            ToneKind::CallWaiting => "call-waiting",
        }
    }

    /// The tone of that name.
    pub fn from_name(name: &str) -> Option<ToneKind> {
        ToneKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Whose conventions the tones follow: callers expect the tones of their own network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TonePlan {
    /// Russian national rules.
    Russia,
    /// The CEPT/ETSI harmonised European tones.
    Europe,
    /// The North American precise tone plan.
    Us,
}

/// One tone: what is heard and its rhythm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tone {
    /// The frequencies sounded together, in Hz.
    pub frequencies: &'static [f64],
    /// The level of each frequency, in dBm0.
    pub level_dbm0: f64,
    /// Durations in milliseconds, alternately on and off, starting with on.
    pub cadence_ms: &'static [u32],
    /// Whether the cadence repeats until the tone is stopped; a tone that does not repeat is
    /// over after one pass.
    pub repeats: bool,
}

/// 1 kHz, 0.25 s, once: the same in every plan.
const BEEP: Tone = Tone {
    frequencies: &[1000.0],
    level_dbm0: -13.0,
    cadence_ms: &[250],
    repeats: false,
};

/// A repeating tone.
const fn repeating(
    frequencies: &'static [f64],
    level_dbm0: f64,
    cadence_ms: &'static [u32],
) -> Tone {
    Tone {
        frequencies,
        level_dbm0,
        cadence_ms,
        repeats: true,
    }
}

impl TonePlan {
    /// The tone of `kind` in this plan.
    pub fn tone(self, kind: ToneKind) -> Tone {
        const F425: &[f64] = &[425.0];
        match (self, kind) {
            (_, ToneKind::Beep) => BEEP,
            (TonePlan::Russia, ToneKind::Ringback) => repeating(F425, -10.0, &[1000, 4000]),
            (TonePlan::Russia, ToneKind::Busy) => repeating(F425, -10.0, &[400, 400]),
            (TonePlan::Russia, ToneKind::Congestion) => repeating(F425, -10.0, &[200, 200]),
            (TonePlan::Russia, ToneKind::CallWaiting) => repeating(F425, -10.0, &[200, 5000]),
            (TonePlan::Europe, ToneKind::Ringback) => repeating(F425, -13.0, &[1000, 4000]),
            (TonePlan::Europe, ToneKind::Busy) => repeating(F425, -13.0, &[500, 500]),
            (TonePlan::Europe, ToneKind::Congestion) => repeating(F425, -13.0, &[250, 250]),
            (TonePlan::Europe, ToneKind::CallWaiting) => {
                repeating(F425, -13.0, &[200, 200, 200, 5000])
            }
            (TonePlan::Us, ToneKind::Ringback) => repeating(&[440.0, 480.0], -19.0, &[2000, 4000]),
            (TonePlan::Us, ToneKind::Busy) => repeating(&[480.0, 620.0], -24.0, &[500, 500]),
            (TonePlan::Us, ToneKind::Congestion) => repeating(&[480.0, 620.0], -24.0, &[250, 250]),
            (TonePlan::Us, ToneKind::CallWaiting) => repeating(&[440.0], -13.0, &[300, 9700]),
        }
    }
}
