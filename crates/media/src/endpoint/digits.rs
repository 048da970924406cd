//! Sending digits on a leg (dialling an extension on a trunk's IVR, a conference PIN), as a
//! playback on the leg's own stream, so numbering continues as for any prompt.
//!
//! Two ways, as the far end hears digits:
//! * RFC 4733 events on the negotiated telephone-event payload type: per digit a press of
//!   [`PRESS`] (marked start, updates, the end packet three times 50 ms apart, as
//!   [`EventSender`] makes them), then [`GAP`] of nothing before the next digit; the
//!   timestamps follow the wall clock through the gaps, as the stream's rules ask;
//! * in-band: the key's two tones for [`PRESS`], then [`PRESS`] of silence, encoded as the
//!   leg's audio (for gateways that ignore events). A leg that negotiated no
//!   telephone-event gets in-band whatever was asked, since events would be dropped there.

use crate::dtmf::inband;
use crate::dtmf::rfc4733::EventSender;
use crate::dtmf::Digit;
use crate::playout::{FrameSource, PlayEnd, PlayOutcome, Playlist, RtpStream};
use crate::tones::dbm0_amplitude;
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// How long each key is held: long enough for any detector (40 ms is the usual minimum),
/// short enough that a PIN goes quickly.
pub const PRESS: Duration = Duration::from_millis(100);

/// The pause after an RFC 4733 press's last end packet before the next press starts.
const GAP: Duration = Duration::from_millis(50);

/// Level of each of the two in-band tones: -7 dBm0, within what Q.24 receivers accept.
const INBAND_DBM0: f64 = -7.0;

/// How digits are sent on a leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigitMethod {
    /// As RFC 4733 telephone events (in-band if the leg negotiated none).
    Rfc4733,
    /// As in-band DTMF tones in the audio.
    Inband,
}

/// The digits a playback has still to send.
pub(crate) struct Digits {
    pending: VecDeque<Digit>,
    method: DigitMethod,
}

impl Digits {
    /// The keys of `digits`, in order; characters that are not keys are passed over.
    pub fn new(digits: &str, method: DigitMethod) -> Digits {
        Digits {
            pending: digits.chars().filter_map(Digit::from_char).collect(),
            method,
        }
    }

    /// The telephone-event payload type to send on, if events are to be sent at all.
    pub fn events(&self, negotiated_events: Option<u8>) -> Option<u8> {
        negotiated_events.filter(|_| self.method == DigitMethod::Rfc4733)
    }

    /// The remaining digits as in-band audio.
    pub fn inband(&mut self) -> Box<dyn FrameSource> {
        let amplitude = dbm0_amplitude(INBAND_DBM0);
        let ms = u32::try_from(PRESS.as_millis()).unwrap_or(u32::MAX);
        let silence = vec![0; PRESS.as_millis() as usize * 8];
        let clips: Vec<Vec<i16>> = self
            .pending
            .drain(..)
            .flat_map(|digit| [inband::generate(digit, ms, amplitude), silence.clone()])
            .collect();
        Box::new(Playlist::new(clips))
    }

    /// Sends the remaining digits as RFC 4733 events on `payload_type`, until they are all
    /// sent or `stop` completes. A press that `stop` interrupts is ended with one end packet
    /// at once, so the far end does not hear a key held down; a digit is taken off the list
    /// once its press is complete, so after a move the playback goes on with the next one.
    pub async fn send_events(
        &mut self,
        socket: &UdpSocket,
        dest: SocketAddr,
        payload_type: u8,
        stream: &mut RtpStream,
        stop: impl Future<Output = ()>,
    ) -> PlayOutcome {
        let mut stop = pin!(stop);
        let mut outcome = PlayOutcome {
            end: PlayEnd::SourceEnded,
            packets_sent: 0,
            send_errors: 0,
        };
        let mut packet = Vec::with_capacity(16);
        let mut earliest = Instant::now();
        'digits: while let Some(&digit) = self.pending.front() {
            let (start, timestamp) = stream.resume_timestamp(earliest.max(Instant::now()));
            let presses = EventSender::new().press(digit, PRESS, timestamp);
            let mut last = start;
            for (index, event) in presses.iter().enumerate() {
                let offset = Duration::from_micros(u64::from(event.send_at) * 125);
                let due = start + offset;
                tokio::select! {
                    biased;
                    () = stop.as_mut() => {
                        outcome.end = PlayEnd::Stopped;
                        if index > 0 && !presses[index - 1].payload.end {
                            if let Some(end) = presses.iter().find(|p| p.payload.end) {
                                let header = stream.custom_header(
                                    payload_type, end.timestamp, false,
                                    timestamp.wrapping_add(event.send_at), 4,
                                );
                                packet.clear();
                                header.write(&end.payload.to_bytes(), &mut packet);
                                send(socket, dest, &packet, &mut outcome).await;
                            }
                        }
                        stream.pause(Instant::now());
                        break 'digits;
                    }
                    () = tokio::time::sleep_until(due) => {}
                }
                let header = stream.custom_header(
                    payload_type,
                    event.timestamp,
                    event.marker,
                    timestamp.wrapping_add(event.send_at),
                    4,
                );
                packet.clear();
                header.write(&event.payload.to_bytes(), &mut packet);
                send(socket, dest, &packet, &mut outcome).await;
                last = due;
            }
            self.pending.pop_front();
            stream.pause(last);
            earliest = last + GAP;
        }
        outcome
    }
}

async fn send(socket: &UdpSocket, dest: SocketAddr, packet: &[u8], outcome: &mut PlayOutcome) {
    match socket.send_to(packet, dest).await {
        Ok(_) => outcome.packets_sent += 1,
        Err(err) => {
            outcome.send_errors += 1;
            tracing::debug!(%dest, %err, "digit send failed");
        }
    }
}
