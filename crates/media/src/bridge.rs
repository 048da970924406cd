//! One call's anchored media: two port pairs, the relay tasks between them, and the SDP
//! state that tells the relay where each leg is.

use crate::activity::Activity;
use crate::latch::Latch;
use crate::origin::Origin;
use crate::ports::{Port, PortPair};
use crate::relay::relay;
use crate::sdp::{self, Direction, Target};
use crate::stats::{BridgeStats, Channel, Counters, LegStats};
use crate::{lock, SdpError};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::AbortHandle;

/// One side of a call, as the PBX sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// The leg the INVITE came in on (A).
    Caller,
    /// The leg the PBX sent its INVITE on (B).
    Callee,
}

impl Leg {
    /// The other side of the call: where this leg's media goes.
    pub fn other(self) -> Leg {
        match self {
            Leg::Caller => Leg::Callee,
            Leg::Callee => Leg::Caller,
        }
    }

    fn index(self) -> usize {
        match self {
            Leg::Caller => 0,
            Leg::Callee => 1,
        }
    }
}

/// Which half of an offer/answer exchange (RFC 3264) an SDP is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdpKind {
    /// The first SDP of an exchange: an INVITE's, a re-INVITE's, or a 200 OK's answering an
    /// INVITE that had none.
    Offer,
    /// The reply to an offer: a 183's or 200 OK's, or an ACK's after an offer in a 200 OK.
    Answer,
}

/// The anchored media of one call: the PBX's ports for both legs and the relay between them.
///
/// Dropping it stops the relay; its ports return to the pool as soon as the relay tasks have
/// let go of the sockets (on the runtime's next turn).
#[derive(Debug)]
pub struct Bridge {
    shared: Arc<Shared>,
    tasks: Vec<AbortHandle>,
}

/// What the relay tasks and the bridge share.
#[derive(Debug)]
pub(crate) struct Shared {
    advertise_ip: IpAddr,
    legs: [LegMedia; 2],
    signalling: Mutex<Signalling>,
    pub activity: Activity,
}

/// One leg's side of the relay.
#[derive(Debug)]
pub(crate) struct LegMedia {
    /// The PBX's RTP port for this leg.
    port: u16,
    /// Where this leg's RTP and RTCP come from and go to.
    rtp: Mutex<Latch>,
    rtcp: Mutex<Latch>,
    /// What was received from this leg.
    pub counters: Counters,
}

/// The SDP state of the call.
#[derive(Debug)]
struct Signalling {
    /// The PBX's session towards each leg.
    origins: [Origin; 2],
    /// The direction of each leg's last SDP.
    directions: [Direction; 2],
}

impl LegMedia {
    fn new(port: u16) -> LegMedia {
        LegMedia {
            port,
            rtp: Mutex::default(),
            rtcp: Mutex::default(),
            counters: Counters::default(),
        }
    }

    pub fn latch(&self, channel: Channel) -> &Mutex<Latch> {
        match channel {
            Channel::Rtp => &self.rtp,
            Channel::Rtcp => &self.rtcp,
        }
    }

    fn stats(&self) -> LegStats {
        LegStats {
            rtp_source: lock(&self.rtp).latched(),
            rtcp_source: lock(&self.rtcp).latched(),
            ..self.counters.snapshot()
        }
    }
}

impl Shared {
    pub fn leg(&self, leg: Leg) -> &LegMedia {
        &self.legs[leg.index()]
    }
}

impl Bridge {
    /// Starts relaying between the port pairs of the caller and the callee. Must be called
    /// within a tokio runtime.
    pub(crate) fn start(
        advertise_ip: IpAddr,
        inactivity_timeout: Duration,
        caller: PortPair,
        callee: PortPair,
    ) -> Bridge {
        let shared = Arc::new(Shared {
            advertise_ip,
            legs: [
                LegMedia::new(caller.rtp.port),
                LegMedia::new(callee.rtp.port),
            ],
            signalling: Mutex::new(Signalling {
                origins: [Origin::new(rand::random()), Origin::new(rand::random())],
                directions: [Direction::SendRecv; 2],
            }),
            activity: Activity::new(inactivity_timeout),
        });
        let sockets = |pair: PortPair| (Arc::new(pair.rtp), Arc::new(pair.rtcp));
        let (caller_rtp, caller_rtcp) = sockets(caller);
        let (callee_rtp, callee_rtcp) = sockets(callee);
        let routes: [(Leg, Channel, &Arc<Port>, &Arc<Port>); 4] = [
            (Leg::Caller, Channel::Rtp, &caller_rtp, &callee_rtp),
            (Leg::Callee, Channel::Rtp, &callee_rtp, &caller_rtp),
            (Leg::Caller, Channel::Rtcp, &caller_rtcp, &callee_rtcp),
            (Leg::Callee, Channel::Rtcp, &callee_rtcp, &caller_rtcp),
        ];
        let tasks = routes
            .into_iter()
            .map(|(leg, channel, inbound, outbound)| {
                let task = relay(
                    Arc::clone(&shared),
                    leg,
                    channel,
                    Arc::clone(inbound),
                    Arc::clone(outbound),
                );
                tokio::spawn(task).abort_handle()
            })
            .collect();
        tracing::debug!(
            caller_port = shared.leg(Leg::Caller).port,
            callee_port = shared.leg(Leg::Callee).port,
            "media bridge opened"
        );
        Bridge { shared, tasks }
    }

    /// Rewrites the SDP received from `from` into the SDP to send to the other leg, and
    /// learns from it where `from` wants its media.
    ///
    /// Keeps PCMU, PCMA and 8 kHz telephone-event only; puts the PBX's address and its port
    /// for the other leg in `c=`/`m=`; keeps the media direction, so hold passes through;
    /// declines every stream other than the first usable audio one; writes the PBX's own
    /// `o=` line for the other leg, whose version goes up whenever what that leg is sent
    /// changes (RFC 3264 §8).
    ///
    /// An `Answer` starts the inactivity clock (see [`Bridge::inactive`]). On error nothing
    /// is learned and no version changes: for an offer the SIP layer answers 488; for an
    /// answer the call cannot carry audio and should be ended.
    pub fn rewrite(&self, from: Leg, kind: SdpKind, sdp: &[u8]) -> Result<Vec<u8>, SdpError> {
        let to = from.other();
        let target = Target {
            ip: self.shared.advertise_ip,
            port: self.local_port(to),
        };
        let rewritten = sdp::rewrite(sdp, target)?;
        let remote = rewritten.remote;
        let (origin, on_hold) = {
            let mut signalling = lock(&self.shared.signalling);
            let origin = signalling.origins[to.index()].line(&rewritten.body, target.ip);
            signalling.directions[from.index()] = remote.direction;
            let on_hold = signalling
                .directions
                .iter()
                .any(|&direction| direction != Direction::SendRecv);
            (origin, on_hold)
        };
        let leg = self.shared.leg(from);
        lock(&leg.rtp).signal(remote.rtp);
        lock(&leg.rtcp).signal(remote.rtcp);
        self.shared
            .activity
            .signalled(kind == SdpKind::Answer, on_hold);

        let mut out = Vec::with_capacity(5 + origin.len() + rewritten.body.len());
        out.extend_from_slice(b"v=0\r\n");
        out.extend_from_slice(&origin);
        out.extend_from_slice(&rewritten.body);
        Ok(out)
    }

    /// The RTP port the PBX offers to `leg` (its RTCP port is the next one).
    pub fn local_port(&self, leg: Leg) -> u16 {
        self.shared.leg(leg).port
    }

    /// Packets and bytes relayed from each leg so far, and where each leg's media is latched.
    pub fn stats(&self) -> BridgeStats {
        BridgeStats {
            caller: self.shared.leg(Leg::Caller).stats(),
            callee: self.shared.leg(Leg::Callee).stats(),
        }
    }

    /// Resolves when no RTP has arrived from either leg for the configured inactivity
    /// timeout: the phones are gone and the call should end ("rtp timeout").
    ///
    /// The clock starts at the first rewritten answer (a ringing call is never timed out) and
    /// restarts with every rewritten SDP; it is stopped while either leg's last SDP puts the
    /// media on hold (`inactive`, `sendonly` or `recvonly`), since a held call may carry no
    /// RTP at all. Safe to await from several places and to drop at any time.
    pub async fn inactive(&self) {
        self.shared.activity.inactive().await;
    }
}

impl Drop for Bridge {
    /// Stops the relay tasks; their sockets close and the ports return to the pool as the
    /// runtime drops the tasks.
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        tracing::debug!(
            caller_port = self.local_port(Leg::Caller),
            callee_port = self.local_port(Leg::Callee),
            "media bridge closed"
        );
    }
}
