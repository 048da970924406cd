//! Sending one stream's packets: the socket, the destination, a reused packet buffer and the
//! counts the player reports.

use super::rtp::RtpHeader;
use std::net::SocketAddr;
use tokio::net::UdpSocket;

/// Writes and sends the packets of one outgoing stream.
pub(super) struct RtpSender<'a> {
    socket: &'a UdpSocket,
    dest: SocketAddr,
    packet: Vec<u8>,
    pub sent: u64,
    pub errors: u64,
}

impl<'a> RtpSender<'a> {
    pub fn new(socket: &'a UdpSocket, dest: SocketAddr) -> RtpSender<'a> {
        RtpSender {
            socket,
            dest,
            packet: Vec::with_capacity(512),
            sent: 0,
            errors: 0,
        }
    }

    /// Sends one packet. A failed send (an ICMP error reported back, a full buffer) is counted
    /// and otherwise ignored: the next packet is due in 20 ms and may well pass, and a
    /// prompt must not end because one packet could not be sent.
    pub async fn send(&mut self, header: RtpHeader, payload: &[u8]) {
        self.packet.clear();
        header.write(payload, &mut self.packet);
        match self.socket.send_to(&self.packet, self.dest).await {
            Ok(_) => self.sent += 1,
            Err(err) => {
                self.errors += 1;
                tracing::debug!(dest = %self.dest, %err, "playout send failed");
            }
        }
    }
}
