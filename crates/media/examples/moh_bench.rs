//! Music-on-hold load benchmark: N callers on one hold class at once, on one core.
//!
//! For each N, a fresh single-threaded tokio runtime (one core: the *sending thread*) runs one
//! [`MohClass`] playing a looping clip, encoded as PCMU and PCMA, and N listeners, each with
//! its own UDP socket on 127.0.0.1 and its own [`RtpStream`] (half PCMU, half PCMA). Each
//! listener sends to its own receiver socket; the receivers run on another thread and
//! runtime, so the sending thread does nothing but the class's work.
//!
//! Arrival times are the kernel's (`SO_TIMESTAMPNS`, taken when the datagram is queued on the
//! receiving socket, i.e. at the end of the sender's `sendto` on loopback), so a receiving
//! thread that is itself late does not show up as a gap. After a warm-up, a window of
//! `--secs` is measured:
//!
//! * CPU of the sending thread (`getrusage(RUSAGE_THREAD)`, user + system): in % of one core,
//!   and in µs of CPU per listener per second of music;
//! * the worst and p99 gap between consecutive packets of a listener, over all listeners;
//! * loss: packets received against the RTP timestamps' span (a listener that lagged skips
//!   frames, which shows as a timestamp jump), and against the wall-clock count (50/s).
//!
//! Usage: `moh_bench [--listeners "100 250 500 1000 1500"] [--secs 10] [--warmup 2]
//! [--wav PATH] [--pt 0|8|mix] [--pin]`. See bench/README.md and bench/moh/run.sh.

use sb_media::audio::{Clip, Codec};
use sb_media::playout::{Encoder, Looping, MohClass, RtpPacket, RtpStream, TokioClock};
use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::watch;

/// The class's encoders: `audio::Codec` through playout's `Encoder` trait.
struct G711(Codec);

impl Encoder for G711 {
    fn payload_type(&self) -> u8 {
        self.0.payload_type()
    }

    fn encode(&self, pcm: &[i16], out: &mut Vec<u8>) {
        self.0.encode(pcm, out);
    }
}

/// Which payload types the listeners ask for.
#[derive(Clone, Copy)]
enum Pt {
    One(u8),
    Mix,
}

struct Options {
    listeners: Vec<usize>,
    secs: f64,
    warmup: f64,
    wav: Option<String>,
    pt: Pt,
    pin: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: moh_bench [--listeners \"100 250 500 1000 1500\"] [--secs 10] [--warmup 2] \
         [--wav PATH] [--pt 0|8|mix] [--pin]"
    );
    std::process::exit(2);
}

fn options() -> Options {
    let mut o = Options {
        listeners: vec![100, 250, 500, 1000, 1500],
        secs: 10.0,
        warmup: 2.0,
        wav: None,
        pt: Pt::Mix,
        pin: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--listeners" | "-n" => {
                o.listeners = value()
                    .split([' ', ','])
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().unwrap_or_else(|_| usage()))
                    .collect();
            }
            "--secs" => o.secs = value().parse().unwrap_or_else(|_| usage()),
            "--warmup" => o.warmup = value().parse().unwrap_or_else(|_| usage()),
            "--wav" => o.wav = Some(value()),
            "--pt" => {
                o.pt = match value().as_str() {
                    "mix" => Pt::Mix,
                    "0" => Pt::One(0),
                    "8" => Pt::One(8),
                    _ => usage(),
                }
            }
            "--pin" => o.pin = true,
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    if o.listeners.is_empty() || o.secs <= 0.0 || o.warmup < 0.0 {
        usage();
    }
    o
}

/// Ten seconds of something music-like at 8 kHz: a bass line and a three-note arpeggio with
/// harmonics and a decaying envelope per note, so every frame differs and the encoders do
/// real work (silence or a pure tone would compress nothing and cost the same anyway).
fn synthetic_music() -> Vec<i16> {
    const RATE: f32 = 8_000.0;
    let chords: [[f32; 3]; 4] = [
        [261.63, 329.63, 392.00], // C
        [220.00, 261.63, 329.63], // Am
        [174.61, 220.00, 261.63], // F
        [196.00, 246.94, 293.66], // G
    ];
    let note_len = (RATE * 0.125) as usize; // eighth notes at 120 bpm
    let total = (RATE * 10.0) as usize;
    let tau = std::f32::consts::TAU;
    (0..total)
        .map(|i| {
            let t = i as f32 / RATE;
            let chord = chords[(i / (RATE as usize * 2 + 1)) % chords.len()];
            let note = i / note_len;
            let in_note = (i % note_len) as f32 / RATE;
            let f = chord[note % 3] * if note % 6 >= 3 { 2.0 } else { 1.0 };
            let env = (-in_note * 6.0).exp();
            let lead = (tau * f * t).sin()
                + 0.4 * (tau * 2.0 * f * t).sin()
                + 0.2 * (tau * 3.0 * f * t).sin();
            let bass = (tau * chord[0] / 2.0 * t).sin();
            let v = 5_000.0 * env * lead + 3_000.0 * bass;
            v.clamp(-32_000.0, 32_000.0) as i16
        })
        .collect()
}

/// CPU time of the calling thread: (user, system).
fn thread_cpu() -> (Duration, Duration) {
    // SAFETY: getrusage only writes the struct we hand it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut usage) != 0 {
            return (Duration::ZERO, Duration::ZERO);
        }
        usage
    };
    let tv = |tv: libc::timeval| {
        Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
    };
    (tv(usage.ru_utime), tv(usage.ru_stime))
}

/// Raises the soft limit on open files to the hard one: two sockets per listener.
fn raise_fd_limit() -> u64 {
    // SAFETY: plain get/set of a resource limit through a struct we own.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
        limit.rlim_cur
    }
}

/// Lowers the calling thread's priority to nice 19, so the receivers (whose arrival times
/// come from the kernel, not from when they run) give way to the sending thread.
fn lower_thread_priority() {
    // SAFETY: gettid and setpriority on our own thread.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19);
    }
}

/// Pins the calling thread to `cpus` (`--pin`). Best effort: a failure is reported, not fatal.
fn pin_thread(cpus: &[usize]) {
    // SAFETY: a cpu_set_t we own, filled with the CPU_SET macro, for the calling thread (0).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            eprintln!("pinning to {cpus:?}: {}", std::io::Error::last_os_error());
        }
    }
}

/// With `--pin`: the sending thread gets the last CPU, the receivers all the others.
fn cpu_split() -> (Vec<usize>, Vec<usize>) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        return (vec![0], vec![0]);
    }
    (vec![cores - 1], (0..cores - 1).collect())
}

fn realtime_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// One received packet: kernel arrival time (CLOCK_REALTIME, ns) and RTP timestamp.
#[derive(Clone, Copy)]
struct Arrival {
    at_ns: u64,
    rtp_ts: u32,
}

/// Receives one datagram with its kernel timestamp; `WouldBlock` when none is queued.
fn recv_timestamped(fd: i32, buf: &mut [u8]) -> std::io::Result<(usize, Option<u64>)> {
    let mut control = [0u64; 16];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: msghdr points at the buffers above, which outlive the call; the control
    // messages are read within the length the kernel reports.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        let n = libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT);
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut stamp = None;
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_TIMESTAMPNS
            {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                stamp = Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
        Ok((n as usize, stamp))
    }
}

/// Binds `n` receiving sockets with kernel timestamps on.
fn bind_receivers(n: usize) -> Vec<StdUdpSocket> {
    (0..n)
        .map(|_| {
            let socket = StdUdpSocket::bind("127.0.0.1:0").expect("bind receiver");
            socket.set_nonblocking(true).unwrap();
            let on: libc::c_int = 1;
            // SAFETY: setsockopt reads an int we own.
            let rc = unsafe {
                libc::setsockopt(
                    socket.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_TIMESTAMPNS,
                    (&on as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as _,
                )
            };
            assert_eq!(rc, 0, "SO_TIMESTAMPNS: {}", std::io::Error::last_os_error());
            socket
        })
        .collect()
}

/// The receiving side: its own thread and runtime, one task per socket, until `stop`.
fn run_receivers(
    sockets: Vec<StdUdpSocket>,
    stop: watch::Receiver<bool>,
    pin: bool,
) -> std::thread::JoinHandle<Vec<Vec<Arrival>>> {
    std::thread::Builder::new()
        .name("moh-receivers".into())
        .spawn(move || {
            lower_thread_priority();
            if pin {
                pin_thread(&cpu_split().1);
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let tasks: Vec<_> = sockets
                    .into_iter()
                    .map(|socket| {
                        let mut stop = stop.clone();
                        tokio::spawn(async move {
                            let socket = UdpSocket::from_std(socket).unwrap();
                            let fd = socket.as_raw_fd();
                            let mut arrivals = Vec::with_capacity(1024);
                            let mut buf = [0u8; 1500];
                            loop {
                                tokio::select! {
                                    biased;
                                    _ = stop.wait_for(|s| *s) => break,
                                    ready = socket.readable() => ready.unwrap(),
                                }
                                loop {
                                    let got = socket.try_io(Interest::READABLE, || {
                                        recv_timestamped(fd, &mut buf)
                                    });
                                    match got {
                                        Ok((n, stamp)) => {
                                            if let Ok(packet) = RtpPacket::parse(&buf[..n]) {
                                                arrivals.push(Arrival {
                                                    at_ns: stamp.unwrap_or_else(realtime_ns),
                                                    rtp_ts: packet.header.timestamp,
                                                });
                                            }
                                        }
                                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                                            break
                                        }
                                        Err(e) => panic!("receive: {e}"),
                                    }
                                }
                            }
                            // Whatever is still queued arrived before the stop.
                            while let Ok((n, stamp)) = recv_timestamped(fd, &mut buf) {
                                if let Ok(packet) = RtpPacket::parse(&buf[..n]) {
                                    arrivals.push(Arrival {
                                        at_ns: stamp.unwrap_or_else(realtime_ns),
                                        rtp_ts: packet.header.timestamp,
                                    });
                                }
                            }
                            arrivals
                        })
                    })
                    .collect();
                let mut all = Vec::with_capacity(tasks.len());
                for task in tasks {
                    all.push(task.await.unwrap());
                }
                all
            })
        })
        .unwrap()
}

/// What the sending thread measured.
struct SendReport {
    /// The measured window, CLOCK_REALTIME ns.
    window: (u64, u64),
    wall: Duration,
    user: Duration,
    system: Duration,
    voluntary_switches: i64,
    involuntary_switches: i64,
    listening: usize,
    sent: u64,
    send_errors: u64,
}

fn context_switches() -> (i64, i64) {
    // SAFETY: as in thread_cpu.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        (usage.ru_nvcsw, usage.ru_nivcsw)
    }
}

/// The measured side: one current-thread runtime (one core) with the class and N listeners.
fn run_senders(
    dests: Vec<SocketAddr>,
    music: Arc<Vec<i16>>,
    pt: Pt,
    warmup: Duration,
    window: Duration,
    pin: bool,
) -> SendReport {
    std::thread::Builder::new()
        .name("moh-sender".into())
        .spawn(move || {
            if pin {
                pin_thread(&cpu_split().0);
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let encoders: Vec<Box<dyn Encoder>> =
                    vec![Box::new(G711(Codec::Pcmu)), Box::new(G711(Codec::Pcma))];
                let source = Looping::new(music.as_ref().clone());
                let class = Arc::new(MohClass::start("bench", source, encoders, TokioClock));
                let (stop_tx, stop_rx) = watch::channel(false);
                let mut listeners = Vec::with_capacity(dests.len());
                for (i, dest) in dests.into_iter().enumerate() {
                    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind sender");
                    let payload_type = match pt {
                        Pt::One(pt) => pt,
                        Pt::Mix if i % 2 == 0 => 0,
                        Pt::Mix => 8,
                    };
                    let (class, mut stop) = (Arc::clone(&class), stop_rx.clone());
                    listeners.push(tokio::spawn(async move {
                        let mut stream = RtpStream::new();
                        let stopped = async move {
                            let _ = stop.wait_for(|s| *s).await;
                        };
                        class
                            .listen(&socket, dest, payload_type, &mut stream, stopped)
                            .await
                    }));
                }
                tokio::time::sleep(warmup).await;
                let listening = class.listeners();
                let (user0, system0) = thread_cpu();
                let (vol0, invol0) = context_switches();
                let (start, start_ns) = (Instant::now(), realtime_ns());
                tokio::time::sleep(window).await;
                let (user1, system1) = thread_cpu();
                let (vol1, invol1) = context_switches();
                let (wall, end_ns) = (start.elapsed(), realtime_ns());
                stop_tx.send(true).unwrap();
                let (mut sent, mut send_errors) = (0, 0);
                for listener in listeners {
                    let outcome = listener.await.unwrap().expect("listen");
                    sent += outcome.packets_sent;
                    send_errors += outcome.send_errors;
                }
                SendReport {
                    window: (start_ns, end_ns),
                    wall,
                    user: user1 - user0,
                    system: system1 - system0,
                    voluntary_switches: vol1 - vol0,
                    involuntary_switches: invol1 - invol0,
                    listening,
                    sent,
                    send_errors,
                }
            })
        })
        .unwrap()
        .join()
        .expect("sending thread panicked")
}

/// One row of the table.
struct Row {
    n: usize,
    cpu_pct: f64,
    user_pct: f64,
    us_per_listener_s: f64,
    worst_gap_ms: f64,
    p99_gap_ms: f64,
    p999_gap_ms: f64,
    gaps_over_40: usize,
    fanout_p50_ms: f64,
    fanout_max_ms: f64,
    loss_pct: f64,
    received: u64,
    expected_wall: u64,
    load: String,
}

/// How long one frame takes to reach every listener: all arrivals in the window, merged and
/// split into bursts wherever nothing arrived for over 2 ms; the length of a burst is the time
/// from the first listener's packet of a frame to the last one's. (p50, max) in ms. When the
/// sender never idles 2 ms, bursts merge and this reads long: the core is saturated.
fn fan_out(arrivals: &[Vec<Arrival>], from: u64, to: u64) -> (f64, f64) {
    let mut all: Vec<u64> = arrivals
        .iter()
        .flatten()
        .map(|a| a.at_ns)
        .filter(|&t| t >= from && t <= to)
        .collect();
    all.sort_unstable();
    let mut bursts = Vec::new();
    let mut start = match all.first() {
        Some(&t) => t,
        None => return (f64::NAN, f64::NAN),
    };
    for pair in all.windows(2) {
        if pair[1] - pair[0] > 2_000_000 {
            bursts.push(pair[0] - start);
            start = pair[1];
        }
    }
    // The first and last bursts may be cut by the window's edges: leave them out.
    if bursts.len() > 2 {
        bursts.remove(0);
    }
    bursts.sort_unstable();
    let ms = |ns: u64| ns as f64 / 1e6;
    (
        bursts.get(bursts.len() / 2).map_or(f64::NAN, |&b| ms(b)),
        bursts.last().map_or(f64::NAN, |&b| ms(b)),
    )
}

fn run(n: usize, o: &Options, music: &Arc<Vec<i16>>) -> Row {
    let load_before = loadavg();
    let receivers = bind_receivers(n);
    let dests: Vec<SocketAddr> = receivers.iter().map(|s| s.local_addr().unwrap()).collect();
    let (stop_tx, stop_rx) = watch::channel(false);
    let receiving = run_receivers(receivers, stop_rx, o.pin);
    let window = Duration::from_secs_f64(o.secs);
    let report = run_senders(
        dests,
        Arc::clone(music),
        o.pt,
        Duration::from_secs_f64(o.warmup),
        window,
        o.pin,
    );
    std::thread::sleep(Duration::from_millis(200));
    stop_tx.send(true).unwrap();
    let arrivals = receiving.join().expect("receiving thread panicked");

    let (from, to) = report.window;
    let mut gaps_us: Vec<u32> = Vec::with_capacity(n * (o.secs * 50.0) as usize);
    let (mut received, mut expected_rtp) = (0u64, 0u64);
    for listener in &arrivals {
        let inside: Vec<&Arrival> = listener
            .iter()
            .filter(|a| a.at_ns >= from && a.at_ns <= to)
            .collect();
        received += inside.len() as u64;
        if let (Some(first), Some(last)) = (inside.first(), inside.last()) {
            expected_rtp += u64::from(last.rtp_ts.wrapping_sub(first.rtp_ts) / 160) + 1;
        }
        gaps_us.extend(
            inside
                .windows(2)
                .map(|w| (w[1].at_ns.saturating_sub(w[0].at_ns) / 1_000) as u32),
        );
    }
    gaps_us.sort_unstable();
    let (fanout_p50_ms, fanout_max_ms) = fan_out(&arrivals, from, to);
    let pct = |p: f64| {
        gaps_us
            .get(((gaps_us.len() as f64 * p) as usize).min(gaps_us.len().saturating_sub(1)))
            .map_or(f64::NAN, |&g| f64::from(g) / 1_000.0)
    };
    let worst = gaps_us.last().map_or(f64::NAN, |&g| f64::from(g) / 1_000.0);
    let gaps_over_40 = gaps_us.iter().rev().take_while(|&&g| g > 40_000).count();
    let wall = report.wall.as_secs_f64();
    let cpu = (report.user + report.system).as_secs_f64();
    let expected_wall = (n as f64 * wall * 50.0).round() as u64;
    let row = Row {
        n,
        cpu_pct: cpu / wall * 100.0,
        user_pct: report.user.as_secs_f64() / wall * 100.0,
        us_per_listener_s: cpu * 1e6 / wall / n as f64,
        worst_gap_ms: worst,
        p99_gap_ms: pct(0.99),
        p999_gap_ms: pct(0.999),
        gaps_over_40,
        fanout_p50_ms,
        fanout_max_ms,
        loss_pct: if expected_rtp == 0 {
            100.0
        } else {
            (1.0 - received as f64 / expected_rtp as f64) * 100.0
        },
        received,
        expected_wall,
        load: format!("{load_before} -> {}", loadavg()),
    };
    eprintln!(
        "N={n}: {} listening, sent {} ({} send errors), ctx switches {} voluntary {} \
         involuntary, CPU {:.1}% (user {:.1}%), worst gap {:.1} ms, p99 {:.2} ms, \
         fan-out p50 {:.1} ms max {:.1} ms, rx {}/{} (wall), loss {:.3}% (RTP), load {}",
        report.listening,
        report.sent,
        report.send_errors,
        report.voluntary_switches,
        report.involuntary_switches,
        row.cpu_pct,
        row.user_pct,
        row.worst_gap_ms,
        row.p99_gap_ms,
        row.fanout_p50_ms,
        row.fanout_max_ms,
        row.received,
        row.expected_wall,
        row.loss_pct,
        row.load,
    );
    row
}

fn main() {
    let o = options();
    let fds = raise_fd_limit();
    let need = o.listeners.iter().max().copied().unwrap_or(0) * 2 + 64;
    if (fds as usize) < need {
        eprintln!("warning: open-file limit {fds} < {need} needed; raise `ulimit -n`");
    }
    let music = match &o.wav {
        Some(path) => Clip::load(path)
            .unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1)
            })
            .samples()
            .to_vec(),
        None => synthetic_music(),
    };
    let music = Arc::new(music);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    eprintln!(
        "moh_bench: {} s window after {} s warm-up, source {} ({:.1} s), {} cores{}, load {}",
        o.secs,
        o.warmup,
        o.wav.as_deref().unwrap_or("synthetic"),
        music.len() as f64 / 8_000.0,
        cores,
        if o.pin {
            format!(
                ", sender pinned to CPU {:?}, receivers to {:?}",
                cpu_split().0,
                cpu_split().1
            )
        } else {
            String::new()
        },
        loadavg()
    );
    let rows: Vec<Row> = o.listeners.iter().map(|&n| run(n, &o, &music)).collect();

    println!();
    println!(
        "| N | CPU % of 1 core (user) | CPU µs / listener / s | worst gap ms | p99 gap ms \
         | p99.9 gap ms | gaps > 40 ms | fan-out ms p50 / max | loss % | rx / expected \
         | load avg (before -> after) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for r in &rows {
        println!(
            "| {} | {:.1} ({:.1}) | {:.1} | {:.1} | {:.2} | {:.2} | {} | {:.1} / {:.1} | {:.3} \
             | {}/{} | {} |",
            r.n,
            r.cpu_pct,
            r.user_pct,
            r.us_per_listener_s,
            r.worst_gap_ms,
            r.p99_gap_ms,
            r.p999_gap_ms,
            r.gaps_over_40,
            r.fanout_p50_ms,
            r.fanout_max_ms,
            r.loss_pct,
            r.received,
            r.expected_wall,
            r.load,
        );
    }
    let target = rows.iter().find(|r| r.n == 1000);
    if let Some(r) = target {
        let pass = r.cpu_pct < 100.0 && r.worst_gap_ms <= 40.0 && r.loss_pct < 0.1;
        println!();
        println!(
            "target (1,000 listeners on one core, no gap over 40 ms): {} \
             (CPU {:.1}% of one core, worst gap {:.1} ms)",
            if pass { "met" } else { "NOT met" },
            r.cpu_pct,
            r.worst_gap_ms
        );
    }
}
