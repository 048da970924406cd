//! Voicemail, missed calls and callbacks end to end, through the real binary: the carrier
//! (SIPp bound to the trunk's address) calls the main number at night, hears the night
//! greeting and the general box's greeting, and leaves a message, spoken as RTP from a pcap
//! by a socket this test owns. What the office gets is then read back the way an operator
//! would: the WAV file compared with what was sent, `switchboard voicemail general`, the
//! e-mail a real SMTP server (aiosmtpd, crates/mail/tests/smtp_server.py) received, the
//! message-waiting NOTIFY a SIPp registered as 101 (the box's owner) received, and
//! `switchboard tasks`. Also: a SIGKILL mid-recording and a restart on the same data
//! directory, and a mail server that is down when the message is left.
//!
//! The demo's timing at night: the night greeting plays about 8.6 s, then "leave a message
//! after the tone" 5.4 s, then the 0.25 s beep, then the recording.
//!
//! The e-mail tests skip (saying so) when python3-aiosmtpd is missing, unless
//! SWITCHBOARD_REQUIRE_PEERS is set, as sb-mail's own tests do.

mod common;

/// sb-mail's real SMTP server for tests, shared rather than copied.
#[allow(dead_code)]
#[path = "../../mail/tests/common/mod.rs"]
mod smtp;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use common::media_check::{self as mc, MediaSocket};
use common::scenario::*;
use common::*;
use mail_parser::{MessageParser, MimeHeaders};
use sb_media::audio::Codec;
use smtp::{ServerOptions, SmtpServer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Where the general box's messages are e-mailed in these tests.
const OFFICE: &str = "office@example.com";
/// The sender's address of `smtp::FROM`.
const FROM_ADDRESS: &str = "pbx@switchboard.test";
/// How long an e-mail may take to reach the test server once it is due.
const MAIL_TIMEOUT: Duration = Duration::from_secs(20);
/// When the carrier hangs up in the zero-length calls: in the middle of "leave a message
/// after the tone" (8.6 s to 14 s after the answer), well clear of both ends.
const HANG_UP_IN_THE_BOX_GREETING_MS: u64 = 11_000;

/// The demo office with its carrier trunk at 127.0.0.1:`trunk`, the general box's
/// messages e-mailed to [`OFFICE`] through a plain SMTP server on 127.0.0.1:`smtp_port`.
fn office_with_email(trunk: u16, smtp_port: u16) -> ConfigText {
    let config = trunk_at(&[trunk]);
    let commented = "# email = [\"office@example.com\"]";
    assert_eq!(
        config.0.matches(commented).count(),
        1,
        "the demo's general box has one commented-out e-mail line"
    );
    ConfigText(
        config
            .0
            .replacen(commented, &format!("email = [\"{OFFICE}\"]"), 1),
    )
    .append(&format!(
        "[email]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\
             from = \"{}\"\ntimeout_secs = 10\n",
        smtp::FROM
    ))
}

/// The port of a running test SMTP server.
fn smtp_port(server: &SmtpServer) -> u16 {
    server.config().port.expect("the test server's port")
}

/// Monday 23 November 2026, 20:00 in Moscow: night.
fn night() -> String {
    monday_at("20:00")
}

/// The carrier calling the main number from `number`, its media at `rtp_port`, waiting up
/// to a minute for the PBX to hang up.
fn night_caller_waiting_for_bye(pbx: &Pbx, trunk: u16, number: &str, rtp_port: u16) -> Sipp {
    CallerScript::new()
        .wait_bye(Duration::from_secs(60))
        .carrier(pbx, trunk, MAIN_NUMBER)
        .key("user", number)
        .rtp_port(rtp_port)
        .recv_timeout(Duration::from_secs(60))
}

/// The carrier calls the main number from `number` and hangs up during the general box's
/// greeting: a message of no length, which still names the caller.
fn hang_up_in_the_box_greeting(pbx: &Pbx, trunk: u16, number: &str) -> SippOutcome {
    let carrier = CallerScript::new()
        .pause_ms(HANG_UP_IN_THE_BOX_GREETING_MS)
        .bye()
        .carrier(pbx, trunk, MAIN_NUMBER)
        .key("user", number)
        .run();
    carrier.assert_success();
    let trace = trace(pbx, &carrier.expect_log("CALL_ID"));
    assert_trace_in_order(&trace, &["play night", "voicemail general"]);
    carrier
}

/// One row of `switchboard voicemail BOX`.
#[derive(Debug, Clone)]
struct Listed {
    id: i64,
    state: String,
    received: DateTime<Utc>,
    secs: f64,
    caller: String,
    file: PathBuf,
}

/// `switchboard voicemail BOX`, parsed: ID STATE RECEIVED (UTC) SECS CALLER FILE.
fn listing(pbx: &Pbx, mailbox: &str) -> Vec<Listed> {
    let text = voicemail_listing(pbx, mailbox);
    if text.starts_with("voicemail box ") && text.contains("no messages") {
        return Vec::new();
    }
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("ID"), "no header:\n{text}");
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let t: Vec<&str> = line.split_whitespace().collect();
            assert!(t.len() >= 7, "a short row {line:?} in:\n{text}");
            let received =
                NaiveDateTime::parse_from_str(&format!("{} {}", t[2], t[3]), "%Y-%m-%d %H:%M:%S")
                    .unwrap_or_else(|e| panic!("{line:?}: the time: {e}"))
                    .and_utc();
            Listed {
                id: t[0].parse().unwrap_or_else(|e| panic!("{line:?}: {e}")),
                state: t[1].to_owned(),
                received,
                secs: t[4].parse().unwrap_or_else(|e| panic!("{line:?}: {e}")),
                caller: t[5..t.len() - 1].join(" "),
                file: PathBuf::from(t[t.len() - 1]),
            }
        })
        .collect()
}

/// Waits until `switchboard voicemail BOX` lists `count` new messages.
fn wait_for_listed(pbx: &Pbx, mailbox: &str, count: usize) -> Vec<Listed> {
    wait_until(
        &format!("{count} new messages listed in box {mailbox}"),
        RECORD_TIMEOUT,
        || {
            let rows = listing(pbx, mailbox);
            (rows.len() == count && rows.iter().all(|r| r.state == "new")).then_some(rows)
        },
    )
}

/// Waits until the test server has received `count` e-mails.
fn wait_for_mail(server: &SmtpServer, count: usize) -> Vec<smtp::Received> {
    let started = Instant::now();
    loop {
        let received = server.received();
        if received.len() >= count {
            return received;
        }
        assert!(
            started.elapsed() < MAIL_TIMEOUT,
            "{} e-mails received within {MAIL_TIMEOUT:?}, not {count}; server log:\n{}",
            received.len(),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Checks the e-mail of `message` (whose file holds `wav`): envelope, headers, body and
/// attachment.
fn check_email(mail: &smtp::Received, message: &Listed, wav: &[u8]) {
    assert_eq!(mail.mail_from, FROM_ADDRESS);
    assert_eq!(mail.rcpt_tos, [OFFICE]);
    let parsed = MessageParser::default()
        .parse(&mail.raw)
        .expect("a parsable e-mail");
    let from = parsed
        .from()
        .and_then(|a| a.first())
        .expect("a From header");
    assert_eq!(from.address(), Some(FROM_ADDRESS));
    let to = parsed.to().and_then(|a| a.first()).expect("a To header");
    assert_eq!(to.address(), Some(OFFICE));
    let subject = parsed.subject().expect("a Subject header");
    assert!(
        subject.contains(&message.caller),
        "the subject {subject:?} names the caller {:?}",
        message.caller
    );
    let date = parsed.date().expect("a Date header");
    assert_eq!(
        date.to_timestamp(),
        message.received.timestamp(),
        "the Date is when the message was left ({}), not {date}",
        message.received
    );
    // The box speaks the demo's language, Russian, in Moscow's time (UTC+3, no DST).
    let moscow = FixedOffset::east_opt(3 * 3600).expect("UTC+3");
    let local = message
        .received
        .with_timezone(&moscow)
        .format("%d.%m.%Y %H:%M:%S MSK")
        .to_string();
    let body = parsed.body_text(0).expect("a text body");
    for expected in [message.caller.as_str(), local.as_str(), "general"] {
        assert!(
            body.contains(expected),
            "{expected:?} is not in the body:\n{body}"
        );
    }
    assert_eq!(parsed.attachment_count(), 1, "one attachment");
    let attachment = parsed.attachment(0).expect("the recording");
    let content_type = attachment.content_type().expect("the attachment's type");
    assert_eq!(
        (content_type.ctype(), content_type.subtype()),
        ("audio", Some("wav"))
    );
    let name = attachment.attachment_name().expect("a file name");
    assert!(name.ends_with(".wav"), "{name}");
    assert!(
        attachment.contents() == wav,
        "the attachment ({} bytes) differs from the WAV file ({} bytes)",
        attachment.contents().len(),
        wav.len()
    );
}

/// One row of `switchboard tasks`.
#[derive(Debug, Clone)]
struct TaskLine {
    id: String,
    number: String,
    attempts: u32,
    assigned: String,
    state: String,
    kinds: String,
}

/// `switchboard tasks ARGS` on the PBX's data directory, parsed from the right (the NAME
/// column may hold spaces): ... ATTEMPTS FIRST LAST WAITED ASSIGNED STATE KINDS.
fn tasks(pbx: &Pbx, args: &[&str]) -> Vec<TaskLine> {
    let data_dir = pbx.data_dir.display().to_string();
    let mut argv = vec!["--data-dir", data_dir.as_str(), "tasks"];
    argv.extend_from_slice(args);
    let out = run_binary(&argv);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "switchboard tasks {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let t: Vec<&str> = line.split_whitespace().collect();
            let n = t.len();
            assert!(n >= 12, "a short row {line:?} in:\n{text}");
            TaskLine {
                id: t[0].to_owned(),
                number: t[1].to_owned(),
                attempts: t[n - 9].parse().unwrap_or_else(|e| panic!("{line:?}: {e}")),
                assigned: t[n - 3].to_owned(),
                state: t[n - 2].to_owned(),
                kinds: t[n - 1].to_owned(),
            }
        })
        .collect()
}

/// The voicemail directory of `mailbox` (extension numbers and `general` are their own
/// directory names).
fn box_dir(pbx: &Pbx, mailbox: &str) -> PathBuf {
    pbx.data_dir.join("voicemail").join(mailbox)
}

/// The recorder's temporary files (`.msg-<id>.wav.<random>.part`) in `dir`, with their sizes.
fn part_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.starts_with(".msg-") && name.ends_with(".part")
                })
                .map(|e| (e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

/// The e-mails of the outbox not yet sent nor given up, read from the database.
fn pending_emails(data_dir: &Path) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let store = sb_store::Store::open(data_dir)
            .await
            .expect("open the store");
        store
            .pending_email_count()
            .await
            .expect("count the pending e-mails")
    })
}

/// Every row `switchboard voicemail BOX` lists has its file, and every `msg-*.wav` of the
/// box's directory has its row; no recorder's temporary file is left.
fn assert_rows_and_files_agree(pbx: &Pbx, mailbox: &str) -> Vec<Listed> {
    let rows = listing(pbx, mailbox);
    for row in &rows {
        assert!(
            row.file.is_file(),
            "message {} is listed without its file {}",
            row.id,
            row.file.display()
        );
    }
    let mut listed: Vec<PathBuf> = rows.iter().map(|r| r.file.clone()).collect();
    listed.sort();
    assert_eq!(
        voicemail_messages(pbx, mailbox),
        listed,
        "the message files of box {mailbox} and its rows"
    );
    assert_eq!(
        part_files(&box_dir(pbx, mailbox)),
        [],
        "a recorder's temporary file is left in box {mailbox}"
    );
    rows
}

// ---------------------------------------------------------------------------------------
// 1. A message at night: the WAV, the row, the e-mail, the lamp
// ---------------------------------------------------------------------------------------

#[test]
fn a_night_message_is_kept_as_sent_listed_mailed_and_lights_the_owners_lamp() {
    let Some(mail) = SmtpServer::start(ServerOptions::default()) else {
        return;
    };
    let trunk = ports::port();
    let pbx = pbx_at(office_with_email(trunk, smtp_port(&mail)), &night());
    // 101 owns the general box: its desk phone waits for the lamp.
    let lamp = registered_uas(&pbx, "101", "mwi_uas", |s| {
        s.recv_timeout(Duration::from_secs(90))
            .timeout(Duration::from_secs(120))
    });

    let codec = Codec::Pcma;
    let media = MediaSocket::bind();
    let mut carrier =
        night_caller_waiting_for_bye(&pbx, trunk, CALLER_NUMBER, media.port()).spawn();
    let to_pbx = rtp::parse_addr(&carrier.wait_log("SDP_ANSWER", Duration::from_secs(10)));
    let heard =
        mc::record_through_beep(&media.rtp, codec, Instant::now() + Duration::from_secs(40));
    let heard = mc::rtp_of(&heard);
    assert!(
        heard
            .iter()
            .all(|(_, p)| p.payload_type == codec.payload_type()),
        "the PBX answered the offer (PCMA first) with another codec"
    );
    // The night greeting, then the box's: together longer than the box's alone.
    let box_greeting = mc::shipped_prompt("ru", "vm-leave-message");
    assert!(
        heard.len() * mc::FRAME > box_greeting.len() + 8000,
        "{} packets before the beep: the night greeting is missing",
        heard.len()
    );

    let speech = mc::pcap_speech();
    let packets = mc::message_packets(codec, &speech, 0x00c0_ffee);
    let sent_at = Instant::now();
    rtp::play_and_record(
        &media.rtp,
        to_pbx,
        &packets,
        Duration::from_millis(20),
        usize::MAX,
        sent_at + Duration::from_millis(20 * packets.len() as u64 + 500),
    );
    let carrier = carrier.wait();
    carrier.assert_success();
    assert_eq!(carrier.expect_log("GOT_BYE"), "1", "`#` ends the message");

    // The WAV is what was said.
    let rows = wait_for_listed(&pbx, "general", 1);
    let message = &rows[0];
    let files = voicemail_messages(&pbx, "general");
    assert_eq!(
        files,
        std::slice::from_ref(&message.file),
        "the row names the one file"
    );
    let bytes = std::fs::read(&message.file).expect("the message file");
    let wav = mc::read_wav(&bytes).unwrap_or_else(|e| panic!("{}: {e}", message.file.display()));
    assert_eq!(
        (wav.format, wav.channels, wav.sample_rate, wav.bits),
        (1, 1, 8000, 16),
        "PCM, mono, 8 kHz, 16 bits"
    );
    let sent = Duration::from_secs_f64(speech.len() as f64 / 8000.0);
    assert!(
        wav.duration().abs_diff(sent) <= Duration::from_millis(100),
        "{:?} recorded, {sent:?} sent",
        wav.duration()
    );
    let (c, lag) = mc::best_correlation(&speech, &wav.samples, -1600..=1600);
    assert!(
        c >= 0.99,
        "the recording correlates {c:.4} (lag {lag}) with what was sent"
    );

    // The row: the caller, the time (17:00 UTC is 20:00 in Moscow), the length.
    assert!(
        message.caller.contains("9161234567"),
        "the caller's number in the row: {message:?}"
    );
    assert_eq!(
        message.received.format("%Y-%m-%d %H").to_string(),
        "2026-11-23 17",
        "{message:?}"
    );
    assert!(
        (message.secs - sent.as_secs_f64()).abs() <= 0.15,
        "{message:?}"
    );

    // The e-mail, with the WAV attached byte for byte.
    let received = wait_for_mail(&mail, 1);
    check_email(&received[0], message, &bytes);

    // The lamp of 101, the box's owner.
    let lamp = lamp.wait();
    lamp.assert_success();
    assert_eq!(lamp.expect_log("NOTIFY_EVENT"), "message-summary");
    assert_eq!(lamp.expect_log("MESSAGES_WAITING"), "yes");
    assert_eq!(lamp.expect_log("VOICE_MESSAGE"), "1/0");
    assert!(
        lamp.expect_log("MESSAGE_ACCOUNT").starts_with("sip:101@"),
        "{}",
        lamp.expect_log("MESSAGE_ACCOUNT")
    );

    // One e-mail per message, even after the lamp and the rest have settled.
    assert_eq!(mail.received().len(), 1, "{}", mail.log());
    assert_eq!(pending_emails(&pbx.data_dir), 0);
}

// ---------------------------------------------------------------------------------------
// 2. A message of no length
// ---------------------------------------------------------------------------------------

#[test]
fn hanging_up_during_the_greeting_leaves_an_empty_message_its_e_mail_and_a_task() {
    let Some(mail) = SmtpServer::start(ServerOptions::default()) else {
        return;
    };
    let trunk = ports::port();
    let pbx = pbx_at(office_with_email(trunk, smtp_port(&mail)), &night());
    hang_up_in_the_box_greeting(&pbx, trunk, CALLER_NUMBER);

    let rows = wait_for_listed(&pbx, "general", 1);
    let message = &rows[0];
    assert_eq!(message.secs, 0.0, "{message:?}");
    assert!(message.caller.contains("9161234567"), "{message:?}");
    let bytes = std::fs::read(&message.file).expect("the message file");
    assert_eq!(bytes.len(), 44, "a WAV header and no samples");
    assert_eq!(wav_data_len(&message.file), (0, 8000));

    let received = wait_for_mail(&mail, 1);
    check_email(&received[0], message, &bytes);

    let task = wait_until("the callback task", RECORD_TIMEOUT, || {
        tasks(&pbx, &[]).into_iter().next()
    });
    assert_eq!(task.number, "+79161234567", "{task:?}");
    assert_eq!(task.attempts, 1, "{task:?}");
    assert_eq!(task.assigned, "mailbox:general", "{task:?}");
    assert_eq!(task.state, "open", "{task:?}");
    assert_eq!(
        task.kinds,
        format!("voicemail:general/{}", message.id),
        "{task:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 3. A crash while recording
// ---------------------------------------------------------------------------------------

#[test]
fn a_message_cut_off_by_sigkill_is_repaired_at_restart_and_still_mailed() {
    let Some(mail) = SmtpServer::start(ServerOptions::default()) else {
        return;
    };
    let trunk = ports::port();
    let config = office_with_email(trunk, smtp_port(&mail));
    let mut first = pbx_at(config.clone(), &night());

    let codec = Codec::Pcma;
    let media = MediaSocket::bind();
    let carrier = night_caller_waiting_for_bye(&first, trunk, CALLER_NUMBER, media.port());
    let mut carrier = carrier.spawn();
    let to_pbx = rtp::parse_addr(&carrier.wait_log("SDP_ANSWER", Duration::from_secs(10)));
    mc::record_through_beep(&media.rtp, codec, Instant::now() + Duration::from_secs(40));

    // Half a minute of speech, no `#`: the caller is still talking when the PBX dies.
    let speech: Vec<i16> = mc::pcap_speech().repeat(6);
    let packets = mc::audio_packets(codec, &speech, 0x0bad_cafe, 1, 0);
    let dir = box_dir(&first, "general");
    let stop = AtomicBool::new(false);
    let (part, killed) = std::thread::scope(|scope| {
        let sender = scope.spawn(|| mc::send_paced(&media.rtp, to_pbx, &packets, &stop));
        // The recording's temporary file exists and grows: samples are reaching the disk.
        let (part, size) = wait_until("the recording's .part file", RECORD_TIMEOUT, || {
            let parts = part_files(&dir);
            match parts.as_slice() {
                [(path, size)] if *size > 44 => Some((path.clone(), *size)),
                _ => None,
            }
        });
        wait_until("the .part file to grow", RECORD_TIMEOUT, || {
            let now = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
            (now > size).then_some(())
        });
        let killed = first.sigkill();
        stop.store(true, Ordering::Relaxed);
        let sent = sender.join().expect("the RTP sender");
        assert!(sent < packets.len(), "the PBX died before the speech ended");
        (part, killed)
    });
    carrier.stop();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(killed.signal(), Some(libc::SIGKILL), "{killed:?}");
    assert!(part.is_file(), "the .part file is left by the crash");
    assert_eq!(
        listing(&first, "general").len(),
        0,
        "a message being recorded is not listed"
    );
    assert_eq!(voicemail_messages(&first, "general"), Vec::<PathBuf>::new());

    // Restarted on the same data (five minutes on: the retry schedule plays no part).
    let second = Pbx::start(
        PbxOptions::with_config(config)
            .arg("--start-time")
            .arg(monday_at("20:05"))
            .data_dir(first.data_dir.clone()),
    );
    assert!(
        second
            .log()
            .contains("a message cut off by a crash kept as far as it got"),
        "recovery says what it repaired:\n{}",
        tail(&second.log(), 40)
    );
    let rows = assert_rows_and_files_agree(&second, "general");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let message = &rows[0];
    assert_eq!(message.state, "new", "{message:?}");
    assert!(message.caller.contains("9161234567"), "{message:?}");
    let (data_len, rate) = wav_data_len(&message.file);
    assert_eq!(rate, 8000);
    assert!(data_len > 0, "the repaired message holds what was said");
    let bytes = std::fs::read(&message.file).expect("the repaired file");
    let wav = mc::read_wav(&bytes).unwrap_or_else(|e| panic!("{}: {e}", message.file.display()));
    assert!(
        (message.secs - wav.duration().as_secs_f64()).abs() <= 0.1,
        "the row's length {} s and the file's {:?}",
        message.secs,
        wav.duration()
    );
    let (c, lag) = mc::best_correlation(&wav.samples, &speech, -1600..=1600);
    assert!(
        c >= 0.99,
        "the repaired recording correlates {c:.4} (lag {lag}) with the start of the speech"
    );

    // Its e-mail was queued by recovery and goes out from the restarted PBX.
    let received = wait_for_mail(&mail, 1);
    check_email(&received[0], message, &bytes);
    assert_eq!(pending_emails(&second.data_dir), 0);

    // 101, the box's owner, registering with the restarted PBX sees the message waiting.
    let lamp = registered_uas(&second, "101", "mwi_uas", |s| s).wait();
    lamp.assert_success();
    assert_eq!(lamp.expect_log("MESSAGES_WAITING"), "yes");
    assert_eq!(lamp.expect_log("VOICE_MESSAGE"), "1/0");
}

// ---------------------------------------------------------------------------------------
// 4. Callback tasks: opened, merged, closed by an answered call
// ---------------------------------------------------------------------------------------

#[test]
fn repeated_night_calls_make_one_task_that_an_answered_call_closes() {
    let trunk = ports::port();
    let pbx = pbx_at(trunk_at(&[trunk]), &night());

    // The same customer, as the carrier sends the number two ways.
    hang_up_in_the_box_greeting(&pbx, trunk, "84951234567");
    let opened = wait_until("the task of the first call", RECORD_TIMEOUT, || {
        tasks(&pbx, &[]).into_iter().next()
    });
    assert_eq!(opened.number, "+74951234567", "{opened:?}");
    assert_eq!(opened.attempts, 1, "{opened:?}");
    assert_eq!(opened.assigned, "mailbox:general", "{opened:?}");

    hang_up_in_the_box_greeting(&pbx, trunk, "+74951234567");
    let merged = wait_until("the second call merged", RECORD_TIMEOUT, || {
        let open = tasks(&pbx, &[]);
        open.iter().any(|t| t.attempts == 2).then_some(open)
    });
    assert_eq!(merged.len(), 1, "one open task: {merged:#?}");
    let task = &merged[0];
    assert_eq!(task.id, opened.id, "{task:?}");
    assert_eq!(task.number, "+74951234567", "{task:?}");
    assert_eq!(task.assigned, "mailbox:general", "{task:?}");
    assert_eq!(task.state, "open", "{task:?}");
    let messages = listing(&pbx, "general");
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(
        task.kinds,
        format!(
            "voicemail:general/{},voicemail:general/{}",
            messages[0].id, messages[1].id
        ),
        "{task:?}"
    );
    let (status, body) = common::http::get(pbx.http, "/api/tasks");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("+74951234567"), "{body}");

    // Anna calls the customer back through the trunk (9 + the number) and is answered.
    let mut customer = pbx.sipp("uas_answer").port(trunk).spawn();
    customer.wait_ready();
    let anna = caller(&pbx, "uac_call", "101", "984951234567")
        .pause_ms(300)
        .run();
    let customer = customer.wait_after(&anna);
    anna.assert_success();
    customer.assert_success();
    assert!(
        customer.expect_log("REQUEST_URI").contains("4951234567"),
        "{}",
        customer.expect_log("REQUEST_URI")
    );

    wait_until("the task closed", RECORD_TIMEOUT, || {
        tasks(&pbx, &[]).is_empty().then_some(())
    });
    let all = tasks(&pbx, &["--all"]);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].id, opened.id, "{all:#?}");
    assert_eq!(all[0].state, "closed", "{all:#?}");
    assert_eq!(all[0].attempts, 2, "{all:#?}");
}

/// A customer who last spoke with Gleb (104) leaves a message at night: the task is Gleb's,
/// not the box's (the demo's responsible-manager service reads the PBX's own history).
#[test]
fn a_night_message_from_a_managers_customer_is_assigned_to_the_manager() {
    let trunk = ports::port();
    let pbx = pbx_at(trunk_at(&[trunk]), &night());
    let gleb = registered_uas(&pbx, "104", "uas_answer", |s| s);
    let talk = pbx
        .sipp("trunk_uac")
        .port(trunk)
        .key("user", "+74951234567")
        .service("104")
        .pause_ms(300)
        .run();
    let gleb = gleb.wait_after(&talk);
    talk.assert_success();
    gleb.assert_success();
    pbx.wait_for_call("ANSWERED", RECORD_TIMEOUT);
    assert_eq!(
        tasks(&pbx, &["--all"]).len(),
        0,
        "an answered call is no task"
    );

    hang_up_in_the_box_greeting(&pbx, trunk, "84951234567");
    let task = wait_until("the callback task", RECORD_TIMEOUT, || {
        tasks(&pbx, &[]).into_iter().next()
    });
    assert_eq!(task.number, "+74951234567", "{task:?}");
    assert_eq!(task.assigned, "extension:104", "{task:?}");
    assert_eq!(task.attempts, 1, "{task:?}");
    assert!(task.kinds.starts_with("voicemail:general/"), "{task:?}");
}

// ---------------------------------------------------------------------------------------
// 5. The mail server down when the message is left
// ---------------------------------------------------------------------------------------

/// The e-mail stays queued while the server is down, and goes once it is up and the retry
/// is due. The first retry is a minute after the failure on the PBX's clock, so rather than
/// wait a minute the PBX is stopped and started again five minutes later on its clock (as
/// an operator's restart would be): the outbox row survives, and the start-up round sends it.
/// The retry schedule itself, within one run, is the mailer's unit tests' (an injected clock).
#[test]
fn an_e_mail_the_server_was_down_for_goes_once_it_is_up_and_due() {
    // Skipped before the calls, not after, when the server cannot run here.
    if SmtpServer::start(ServerOptions::default()).is_none() {
        return;
    }
    let port = ports::port();
    let trunk = ports::port();
    let config = office_with_email(trunk, port);
    let mut first = pbx_at(config.clone(), &night());
    hang_up_in_the_box_greeting(&first, trunk, CALLER_NUMBER);
    wait_for_listed(&first, "general", 1);
    wait_until("the failed attempt logged", MAIL_TIMEOUT, || {
        let log = first.log();
        log.lines()
            .find(|l| l.contains("voicemail e-mail not sent; will retry") && l.contains(OFFICE))
            .map(str::to_owned)
    });
    assert_eq!(
        pending_emails(&first.data_dir),
        1,
        "the e-mail is still queued"
    );

    let mail = SmtpServer::start(ServerOptions {
        port: Some(port),
        ..ServerOptions::default()
    })
    .expect("the SMTP server started a moment ago");
    first.sigterm();
    assert!(first.wait_exit(Duration::from_secs(20)).success());
    let second = Pbx::start(
        PbxOptions::with_config(config)
            .arg("--start-time")
            .arg(monday_at("20:05"))
            .data_dir(first.data_dir.clone()),
    );
    let received = wait_for_mail(&mail, 1);
    let rows = listing(&second, "general");
    let bytes = std::fs::read(&rows[0].file).expect("the message file");
    check_email(&received[0], &rows[0], &bytes);
    wait_until("the outbox emptied", MAIL_TIMEOUT, || {
        (pending_emails(&second.data_dir) == 0).then_some(())
    });
    assert_eq!(mail.received().len(), 1, "{}", mail.log());
}
