//! The pool of RTP/RTCP port pairs: which pairs are taken, and binding a free one.
//!
//! A pair is handed out as two bound sockets sharing one lease; the pair goes back to the
//! pool when the last of the two sockets is closed, not merely when the call ends, so a
//! port is never handed out while a socket that is still closing holds it.
//!
//! Pairs are taken round-robin from where the last search stopped, so a pair just freed is
//! the last to be reused: late packets of an ended call rarely reach a new one.

use crate::config::PortRange;
use crate::{lock, MediaError};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::UdpSocket;

/// The port pairs of the configured range, shared by every call.
#[derive(Debug)]
pub(crate) struct PortPool {
    bind_ip: IpAddr,
    range: PortRange,
    state: Mutex<PoolState>,
    pairs_in_use: AtomicUsize,
}

#[derive(Debug)]
struct PoolState {
    used: Vec<bool>,
    next: usize,
}

/// One bound socket of a pair; holds the pair's lease until it is closed.
#[derive(Debug)]
pub(crate) struct Port {
    // Declared first so the socket is closed before the lease returns its port.
    pub socket: UdpSocket,
    pub port: u16,
    _lease: Arc<Lease>,
}

/// The RTP and RTCP sockets of one leg.
#[derive(Debug)]
pub(crate) struct PortPair {
    pub rtp: Port,
    pub rtcp: Port,
}

/// A pair taken from the pool; returns it on drop.
#[derive(Debug)]
struct Lease {
    pool: Arc<PortPool>,
    index: usize,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut state = lock(&self.pool.state);
        state.used[self.index] = false;
        self.pool.pairs_in_use.fetch_sub(1, Ordering::Relaxed);
    }
}

impl PortPool {
    pub fn new(bind_ip: IpAddr, range: PortRange) -> Arc<PortPool> {
        Arc::new(PortPool {
            bind_ip,
            range,
            state: Mutex::new(PoolState {
                used: vec![false; range.pairs],
                next: 0,
            }),
            pairs_in_use: AtomicUsize::new(0),
        })
    }

    /// Ports held by open sockets (two per pair).
    pub fn ports_in_use(&self) -> usize {
        self.pairs_in_use.load(Ordering::Relaxed) * 2
    }

    /// Binds the next free pair. A pair another program holds is skipped; any other bind
    /// failure (a bind address that is not local, say) would fail every pair alike, so it
    /// is returned at once. Must be called within a tokio runtime.
    pub fn allocate(self: &Arc<Self>) -> Result<PortPair, MediaError> {
        let mut state = lock(&self.state);
        let pairs = self.range.pairs;
        for step in 0..pairs {
            let index = (state.next + step) % pairs;
            if state.used[index] {
                continue;
            }
            let rtp_port = self.range.rtp_port(index);
            let Some((rtp, rtcp)) = self.bind_pair(rtp_port)? else {
                continue;
            };
            state.used[index] = true;
            state.next = (index + 1) % pairs;
            self.pairs_in_use.fetch_add(1, Ordering::Relaxed);
            let lease = Arc::new(Lease {
                pool: Arc::clone(self),
                index,
            });
            return Ok(PortPair {
                rtp: Port {
                    socket: rtp,
                    port: rtp_port,
                    _lease: Arc::clone(&lease),
                },
                rtcp: Port {
                    socket: rtcp,
                    port: rtp_port + 1,
                    _lease: lease,
                },
            });
        }
        let last = self.range.rtp_port(pairs - 1) + 1;
        Err(MediaError::Exhausted {
            min: self.range.first,
            max: last,
        })
    }

    /// Both sockets of the pair at `rtp_port`, or `None` when either port is in use.
    fn bind_pair(&self, rtp_port: u16) -> Result<Option<(UdpSocket, UdpSocket)>, MediaError> {
        let Some(rtp) = self.bind(rtp_port)? else {
            return Ok(None);
        };
        let Some(rtcp) = self.bind(rtp_port + 1)? else {
            return Ok(None);
        };
        Ok(Some((rtp, rtcp)))
    }

    fn bind(&self, port: u16) -> Result<Option<UdpSocket>, MediaError> {
        let addr = SocketAddr::new(self.bind_ip, port);
        let bound = std::net::UdpSocket::bind(addr)
            .and_then(|socket| socket.set_nonblocking(true).map(|()| socket))
            .and_then(UdpSocket::from_std);
        match bound {
            Ok(socket) => Ok(Some(socket)),
            Err(err) if err.kind() == io::ErrorKind::AddrInUse => Ok(None),
            Err(source) => Err(MediaError::Bind { addr, source }),
        }
    }
}
