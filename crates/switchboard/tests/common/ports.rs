//! Loopback ports for tests that run in parallel, in one process or in many.
//!
//! The range 12000-19999 sits below Linux's ephemeral range (32768-60999), so the kernel never
//! hands one of these ports to an unrelated outgoing connection between our check and our
//! use. It is cut into blocks of 100 ports; a process claims a block with an exclusive
//! `flock` on `$TMPDIR/switchboard-test-ports/<block>.lock`, held until the process exits (the
//! kernel drops the lock even when the process is killed), so two test binaries — or two
//! `cargo nextest` processes — never hand out the same port. Each port handed out is also
//! checked free (UDP and TCP bind on 0.0.0.0) in case something else on the machine uses it.

use std::fs::{File, OpenOptions};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Mutex;

const LOW: u16 = 12000;
const HIGH: u16 = 20000;
const BLOCK: u16 = 100;
const BLOCKS: u16 = (HIGH - LOW) / BLOCK;

struct Block {
    _lock: File,
    next: u16,
    end: u16,
}

static BLOCKS_HELD: Mutex<Vec<Block>> = Mutex::new(Vec::new());

/// One free port (UDP and TCP) on loopback, never handed out twice.
pub fn port() -> u16 {
    ports(1, false)
}

/// `count` consecutive free ports; the first is returned. `even` aligns the first port to an
/// even number (RTP ranges: RTP on even ports, RTCP on the next odd one).
pub fn ports(count: u16, even: bool) -> u16 {
    assert!(count > 0 && count <= BLOCK, "ask for 1 to {BLOCK} ports");
    let mut held = BLOCKS_HELD.lock().unwrap_or_else(|e| e.into_inner());
    for block in held.iter_mut() {
        if let Some(first) = take_from(block, count, even) {
            return first;
        }
    }
    loop {
        let mut block = claim_block(held.len());
        let taken = take_from(&mut block, count, even);
        held.push(block);
        if let Some(first) = taken {
            return first;
        }
    }
}

/// An even-aligned range of `count` free ports, as (low, high) inclusive.
pub fn port_range(count: u16) -> (u16, u16) {
    let low = ports(count, true);
    (low, low + count - 1)
}

fn take_from(block: &mut Block, count: u16, even: bool) -> Option<u16> {
    let mut start = block.next;
    loop {
        if even && start % 2 == 1 {
            start += 1;
        }
        if start.checked_add(count)? > block.end {
            block.next = block.end;
            return None;
        }
        match (start..start + count).find(|&p| !is_free(p)) {
            None => {
                block.next = start + count;
                return Some(start);
            }
            Some(busy) => start = busy + 1,
        }
    }
}

fn is_free(port: u16) -> bool {
    UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
        && TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok()
}

fn claim_block(already_held: usize) -> Block {
    let dir = std::env::temp_dir().join("switchboard-test-ports");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    // Start where this process is unlikely to meet another one: derived from the PID.
    let first = (std::process::id() as usize * 7 + already_held) % BLOCKS as usize;
    for i in 0..BLOCKS as usize {
        let index = (first + i) % BLOCKS as usize;
        let path = dir.join(format!("{index}.lock"));
        let file = match OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(_) => continue,
        };
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if locked {
            let start = LOW + index as u16 * BLOCK;
            return Block {
                _lock: file,
                next: start,
                end: start + BLOCK,
            };
        }
    }
    panic!(
        "all {BLOCKS} test port blocks in {LOW}-{HIGH} are held by other processes (locks in {})",
        dir.display()
    );
}
