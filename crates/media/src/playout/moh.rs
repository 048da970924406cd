//! Music on hold: one decoder per class, any number of held calls.
//!
//! A class (the default music, a department's own) runs one task that pulls the source once
//! per 20 ms, encodes the frame once per codec the class serves, and broadcasts it. Each held
//! call is a listener that only stamps its own RTP header on the shared payload and sends it:
//! holding the hundredth call costs a header and a `send_to`, not another decoder. With no
//! listeners the task sleeps and the music pauses where it was.
//!
//! A listener that falls behind (a stalled task) loses the oldest frames, [`BACKLOG`] frames
//! at most are kept for it, rather than queueing without bound; its timestamp then jumps over
//! what it missed and its next packet carries the marker bit, so its phone hears a short gap.

use super::clock::Clock;
use super::codec::Encoder;
use super::pacer::{Pace, Pacer, FRAME_DURATION};
use super::player::{PlayEnd, PlayOutcome};
use super::rtp::RtpStream;
use super::send::RtpSender;
use super::source::{FrameSource, FRAME_SAMPLES};
use crate::lock;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Frames kept for a listener that has not yet sent them: 160 ms, beyond any healthy
/// scheduling delay; a listener further behind skips ahead.
pub const BACKLOG: usize = 8;

/// Why a call cannot listen to a class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MohError {
    /// The class was not started with an encoder for the call's codec.
    #[error("music-on-hold class {class:?} has no encoder for RTP payload type {payload_type}")]
    UnsupportedPayloadType {
        /// The class's name.
        class: String,
        /// The payload type the call asked for.
        payload_type: u8,
    },
}

/// One 20 ms frame of a class, encoded for each codec the class serves.
#[derive(Debug)]
struct MohFrame {
    /// Counts 20 ms from the class's first frame, skipped slots included, so a listener can
    /// tell how much time its stream must skip.
    slot: u64,
    /// When the frame was due, the listeners' measure of time.
    due: Instant,
    /// (payload type, payload) per codec.
    payloads: Vec<(u8, Vec<u8>)>,
}

/// What the class and its task share.
struct Shared {
    name: String,
    payload_types: Vec<u8>,
    /// `None` once the source has ended: no more frames, listeners end.
    frames: Mutex<Option<broadcast::Sender<Arc<MohFrame>>>>,
    /// Wakes the idle task when the first listener arrives.
    listener_arrived: Notify,
}

/// A music-on-hold class: one source, one producing task, any number of listeners.
///
/// Dropping the class stops its task.
pub struct MohClass {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MohClass {
    /// Starts the class `name` playing `source`, encoded by each of `encoders` (one per codec
    /// the class's listeners may use, typically PCMU and PCMA), paced by `clock`. Must be
    /// called within a tokio runtime.
    pub fn start<S, C>(
        name: impl Into<String>,
        source: S,
        encoders: Vec<Box<dyn Encoder>>,
        clock: C,
    ) -> MohClass
    where
        S: FrameSource + 'static,
        C: Clock + 'static,
    {
        let (sender, _) = broadcast::channel(BACKLOG);
        let shared = Arc::new(Shared {
            name: name.into(),
            payload_types: encoders.iter().map(|e| e.payload_type()).collect(),
            frames: Mutex::new(Some(sender.clone())),
            listener_arrived: Notify::new(),
        });
        let task = tokio::spawn(produce(
            Arc::clone(&shared),
            sender,
            source,
            encoders,
            clock,
        ));
        MohClass { shared, task }
    }

    /// The class's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// How many calls are listening.
    pub fn listeners(&self) -> usize {
        lock(&self.shared.frames)
            .as_ref()
            .map_or(0, broadcast::Sender::receiver_count)
    }

    /// Sends the class's music to `dest` out of `socket` as `payload_type`, numbered by the
    /// call's own `stream`, until `stop` completes or the class's source ends.
    ///
    /// Like [`play`](super::play), the stream continues its line: hold after a prompt is one
    /// unbroken stream if it starts within a frame, and a marked jump otherwise.
    pub async fn listen(
        &self,
        socket: &UdpSocket,
        dest: SocketAddr,
        payload_type: u8,
        stream: &mut RtpStream,
        stop: impl Future<Output = ()>,
    ) -> Result<PlayOutcome, MohError> {
        if !self.shared.payload_types.contains(&payload_type) {
            return Err(MohError::UnsupportedPayloadType {
                class: self.shared.name.clone(),
                payload_type,
            });
        }
        let mut sender = RtpSender::new(socket, dest);
        let subscription = lock(&self.shared.frames).as_ref().map(|s| s.subscribe());
        let Some(mut frames) = subscription else {
            return Ok(outcome(PlayEnd::SourceEnded, &sender));
        };
        self.shared.listener_arrived.notify_one();
        let mut stop = pin!(stop);
        let mut last: Option<(u64, Instant)> = None;
        let end = loop {
            let frame = tokio::select! {
                biased;
                () = stop.as_mut() => break PlayEnd::Stopped,
                frame = next(&mut frames) => match frame {
                    Some(frame) => frame,
                    None => break PlayEnd::SourceEnded,
                },
            };
            match last {
                None => {
                    stream.rejoin(frame.due);
                }
                Some((slot, _)) => {
                    let missed = frame.slot.saturating_sub(slot + 1);
                    if missed > 0 {
                        let step = FRAME_SAMPLES as u32;
                        stream.skip(u32::try_from(missed).map_or(u32::MAX, |m| m * step));
                    }
                }
            }
            last = Some((frame.slot, frame.due));
            if let Some((_, payload)) = frame.payloads.iter().find(|(pt, _)| *pt == payload_type) {
                let header = stream.next_header(payload_type, FRAME_SAMPLES as u32);
                sender.send(header, payload).await;
            }
        };
        if let Some((_, due)) = last {
            stream.pause(due + FRAME_DURATION);
        }
        Ok(outcome(end, &sender))
    }
}

impl Drop for MohClass {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn outcome(end: PlayEnd, sender: &RtpSender<'_>) -> PlayOutcome {
    PlayOutcome {
        end,
        packets_sent: sender.sent,
        send_errors: sender.errors,
    }
}

/// The next frame for a listener, past any it lagged behind on; `None` once the class ended.
async fn next(frames: &mut broadcast::Receiver<Arc<MohFrame>>) -> Option<Arc<MohFrame>> {
    loop {
        match frames.recv().await {
            Ok(frame) => return Some(frame),
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(missed, "music-on-hold listener fell behind; frames dropped");
            }
            Err(RecvError::Closed) => return None,
        }
    }
}

/// The class's task: while anyone listens, one frame per 20 ms from `source`, encoded once
/// per codec and broadcast; ends when the source does.
async fn produce<S: FrameSource, C: Clock>(
    shared: Arc<Shared>,
    frames: broadcast::Sender<Arc<MohFrame>>,
    mut source: S,
    encoders: Vec<Box<dyn Encoder>>,
    clock: C,
) {
    // Slots of earlier listening periods, so slot numbers only grow.
    let mut base = 0;
    'listening: loop {
        while frames.receiver_count() == 0 {
            shared.listener_arrived.notified().await;
        }
        let mut pacer = Pacer::new(clock.now());
        loop {
            match pacer.poll(clock.now()) {
                Pace::Wait(deadline) => clock.sleep_until(deadline).await,
                Pace::Send { slot, .. } => {
                    if frames.receiver_count() == 0 {
                        base += slot;
                        continue 'listening;
                    }
                    let Some(pcm) = source.next_frame() else {
                        break 'listening;
                    };
                    let payloads = encoders
                        .iter()
                        .map(|encoder| {
                            let mut payload = Vec::with_capacity(FRAME_SAMPLES);
                            encoder.encode(&pcm, &mut payload);
                            (encoder.payload_type(), payload)
                        })
                        .collect();
                    let frame = MohFrame {
                        slot: base + slot,
                        due: pacer.due(slot),
                        payloads,
                    };
                    // An error means every listener left since the count above: not a fault.
                    let _ = frames.send(Arc::new(frame));
                }
            }
        }
    }
    tracing::debug!(class = %shared.name, "music-on-hold source ended");
    lock(&shared.frames).take();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playout::source::{Looping, Playlist};
    use crate::playout::testing::{receive, MuLaw};
    use crate::playout::TokioClock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A source that counts how often it is asked for a frame: the cost of decoding.
    struct Counted<S>(S, Arc<AtomicUsize>);

    impl<S: FrameSource> FrameSource for Counted<S> {
        fn next_frame(&mut self) -> Option<crate::playout::source::Frame> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.next_frame()
        }
    }

    fn music() -> Looping<Vec<i16>> {
        Looping::new((0..1000).map(|i| (i * 7 % 3000) as i16).collect())
    }

    async fn socket() -> Arc<UdpSocket> {
        Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fifty_listeners_share_one_decoder_and_each_gets_an_unbroken_line() {
        let decoded = Arc::new(AtomicUsize::new(0));
        let source = Counted(music(), Arc::clone(&decoded));
        let class = Arc::new(MohClass::start(
            "default",
            source,
            vec![Box::new(MuLaw)],
            TokioClock,
        ));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let sender = socket().await;
        let mut listeners = Vec::new();
        let mut receivers = Vec::new();
        for _ in 0..50 {
            let receiver = socket().await;
            let dest = receiver.local_addr().unwrap();
            let (class, sender, mut stop) = (class.clone(), sender.clone(), stop_rx.clone());
            listeners.push(tokio::spawn(async move {
                let mut stream = RtpStream::new();
                let stopped = async move {
                    let _ = stop.wait_for(|stop| *stop).await;
                };
                class.listen(&sender, dest, 0, &mut stream, stopped).await
            }));
            receivers.push(receiver);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(class.listeners(), 50);
        stop_tx.send(true).unwrap();
        let mut sent = Vec::new();
        for listener in listeners {
            let outcome = listener.await.unwrap().unwrap();
            assert_eq!(outcome.end, PlayEnd::Stopped);
            sent.push(outcome.packets_sent);
        }
        let decodes = decoded.load(Ordering::SeqCst) as u64;
        let most = *sent.iter().max().unwrap();
        assert!(most >= 10, "{sent:?}");
        // Each frame is decoded once, whatever the number of listeners: as many decodes as
        // packets to one listener (give or take the frames while listeners joined and left),
        // where a decoder per listener would make it fifty times as many.
        assert!(
            decodes <= most + 5,
            "{decodes} decodes for {most} packets each"
        );
        for (receiver, &n) in receivers.iter().zip(&sent) {
            let packets = receive(receiver, n as usize).await;
            let first = &packets[0].header;
            assert!(first.marker);
            for (i, pair) in packets.windows(2).enumerate() {
                let (a, b) = (&pair[0].header, &pair[1].header);
                assert_eq!(b.sequence, first.sequence.wrapping_add(i as u16 + 1));
                assert_eq!(b.ssrc, first.ssrc);
                // 160 per packet; more only if a stalled listener skipped frames.
                assert_eq!(b.timestamp.wrapping_sub(a.timestamp) % 160, 0);
                assert!(b.timestamp.wrapping_sub(a.timestamp) >= 160);
            }
        }
    }

    #[tokio::test]
    async fn a_class_without_listeners_decodes_nothing() {
        let decoded = Arc::new(AtomicUsize::new(0));
        let source = Counted(music(), Arc::clone(&decoded));
        let class = MohClass::start("idle", source, vec![Box::new(MuLaw)], TokioClock);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(decoded.load(Ordering::SeqCst), 0);
        let (sender, receiver) = (socket().await, socket().await);
        let dest = receiver.local_addr().unwrap();
        let stop = tokio::time::sleep(Duration::from_millis(100));
        let mut stream = RtpStream::new();
        let outcome = class
            .listen(&sender, dest, 0, &mut stream, stop)
            .await
            .unwrap();
        assert!(outcome.packets_sent >= 2, "{outcome:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let after_leaving = decoded.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(decoded.load(Ordering::SeqCst), after_leaving);
    }

    #[tokio::test]
    async fn a_lagging_listener_drops_frames_and_skips_their_time() {
        let class = MohClass::start("lag", music(), vec![Box::new(MuLaw)], TokioClock);
        let mut frames = lock(&class.shared.frames).as_ref().unwrap().subscribe();
        class.shared.listener_arrived.notify_one();
        let first = next(&mut frames).await.unwrap();
        // Not reading for 30 frames: only the last BACKLOG are kept.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let after = next(&mut frames).await.unwrap();
        assert!(
            after.slot >= first.slot + 20,
            "{} then {}",
            first.slot,
            after.slot
        );
        assert!(frames.len() <= BACKLOG);
    }

    #[tokio::test]
    async fn listeners_end_when_the_source_does() {
        let clip: Vec<i16> = vec![100; 3 * FRAME_SAMPLES];
        let class = MohClass::start(
            "short",
            Playlist::new([clip]),
            vec![Box::new(MuLaw)],
            TokioClock,
        );
        let (sender, receiver) = (socket().await, socket().await);
        let dest = receiver.local_addr().unwrap();
        let mut stream = RtpStream::new();
        let listen = class.listen(&sender, dest, 0, &mut stream, std::future::pending());
        let outcome = tokio::time::timeout(Duration::from_secs(5), listen)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (outcome.end, outcome.packets_sent),
            (PlayEnd::SourceEnded, 3)
        );
        let late = class.listen(&sender, dest, 0, &mut stream, std::future::pending());
        assert_eq!(late.await.unwrap().end, PlayEnd::SourceEnded);
        assert_eq!(class.listeners(), 0);
    }

    #[tokio::test]
    async fn a_codec_the_class_does_not_serve_is_refused() {
        let class = MohClass::start("mulaw only", music(), vec![Box::new(MuLaw)], TokioClock);
        let (sender, receiver) = (socket().await, socket().await);
        let dest = receiver.local_addr().unwrap();
        let result = class
            .listen(
                &sender,
                dest,
                8,
                &mut RtpStream::new(),
                std::future::pending(),
            )
            .await;
        assert_eq!(
            result,
            Err(MohError::UnsupportedPayloadType {
                class: "mulaw only".into(),
                payload_type: 8
            })
        );
        assert_eq!(class.name(), "mulaw only");
    }
}
