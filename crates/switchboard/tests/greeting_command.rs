//! `switchboard greeting` as an operator runs it: the built binary installing WAV files as
//! greetings in a data directory the PBX has created, and removing them.

mod common;

use common::media_check::pcm16_wav;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sb_media::audio::WavAudio;
use sb_store::Store;

/// A data directory with its database, as the PBX leaves it after its first start.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        Store::open(dir.path()).await.expect("create database");
    });
    dir
}

/// `file` in `dir`: two seconds of a 440 Hz tone as a studio exports it, 44.1 kHz stereo.
fn studio_file(dir: &Path, file: &str) -> PathBuf {
    let samples: Vec<i16> = (0..88_200)
        .flat_map(|i| {
            let s = (12_000.0 * (2.0 * PI * 440.0 * f64::from(i) / 44_100.0).sin()) as i16;
            [s, s]
        })
        .collect();
    let path = dir.join(file);
    std::fs::write(&path, pcm16_wav(44_100, 2, &samples)).expect("write WAV");
    path
}

fn switchboard(data_dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    // Nothing from the environment may point the command elsewhere.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SWITCHBOARD_") {
            command.env_remove(&name);
        }
    }
    command
        .env_remove("RUST_LOG")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("run switchboard")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

/// Runs `greeting args`, which must succeed, and returns what it printed.
fn greeting(data_dir: &Path, args: &[&str]) -> String {
    let output = switchboard(data_dir, &[&["greeting"], args].concat());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// Runs `greeting args`, which must fail with exit code 1, and returns its error message.
fn refused(data_dir: &Path, args: &[&str]) -> String {
    let output = switchboard(data_dir, &[&["greeting"], args].concat());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?}: {}",
        stdout(&output)
    );
    stderr(&output)
}

fn greeting_file(data_dir: &Path, mailbox: &str, kind: &str) -> PathBuf {
    data_dir
        .join("voicemail")
        .join(mailbox)
        .join("greetings")
        .join(format!("{kind}.wav"))
}

#[test]
fn a_file_is_installed_as_8_khz_mono_and_removed() {
    let dir = data_dir();
    let file = studio_file(dir.path(), "away.wav");
    let path = file.display().to_string();
    assert_eq!(
        greeting(dir.path(), &["general", "temporary", &path]),
        format!("voicemail box general: temporary greeting installed from {path} (2.0 s)\n")
    );
    let installed = std::fs::read(greeting_file(dir.path(), "general", "temporary"))
        .expect("the greeting file");
    assert_eq!(
        u16::from_le_bytes([installed[22], installed[23]]),
        1,
        "mono"
    );
    let audio = WavAudio::decode(&installed).expect("a WAV");
    assert_eq!(audio.rate(), 8000);
    assert_eq!(audio.duration().as_secs_f64(), 2.0);

    assert_eq!(
        greeting(dir.path(), &["general", "temporary", "--remove"]),
        "voicemail box general: temporary greeting removed\n"
    );
    assert!(!greeting_file(dir.path(), "general", "temporary").exists());
    assert_eq!(
        greeting(dir.path(), &["general", "temporary", "--remove"]),
        "voicemail box general has no temporary greeting; nothing to remove\n"
    );
}

#[test]
fn refusals_name_their_cause_and_change_nothing() {
    let dir = data_dir();
    let good = studio_file(dir.path(), "good.wav").display().to_string();
    greeting(dir.path(), &["101", "busy", &good]);
    let before = std::fs::read(greeting_file(dir.path(), "101", "busy")).expect("greeting");

    let mp3 = dir.path().join("hello.mp3");
    std::fs::write(&mp3, b"ID3\x04\0\0\0\0\0\0 frames").expect("write");
    let mp3 = mp3.display().to_string();
    let said = refused(dir.path(), &["101", "busy", &mp3]);
    assert!(
        said.contains(&format!(
            "{mp3} was not installed as the busy greeting of voicemail box 101: \
             the greeting is not a WAV file"
        )),
        "{said}"
    );
    let short = dir.path().join("short.wav");
    std::fs::write(&short, pcm16_wav(8000, 1, &[0; 2000])).expect("write");
    let said = refused(dir.path(), &["101", "busy", &short.display().to_string()]);
    assert!(
        said.contains("lasts 0.25 s; a greeting must last at least 0.5 s"),
        "{said}"
    );
    let missing = dir.path().join("missing.wav").display().to_string();
    let said = refused(dir.path(), &["101", "busy", &missing]);
    assert!(said.contains(&format!("cannot read {missing}")), "{said}");
    assert_eq!(
        std::fs::read(greeting_file(dir.path(), "101", "busy")).expect("greeting"),
        before
    );

    let said = refused(dir.path(), &["999", "busy", &good]);
    assert!(
        said.contains("\"999\" is no voicemail box of the embedded demo configuration"),
        "{said}"
    );
    assert!(!dir.path().join("voicemail/999").exists());

    let elsewhere = tempfile::tempdir().expect("temp dir");
    let said = refused(elsewhere.path(), &["101", "busy", &good]);
    assert!(said.contains("no database"), "{said}");
    assert!(!elsewhere.path().join("voicemail").exists());
}

#[test]
fn the_boxes_are_those_of_the_configuration_given() {
    let dir = data_dir();
    let good = studio_file(dir.path(), "good.wav").display().to_string();
    let config = dir.path().join("office.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[[mailbox]]\nname = \"support\"\npin = \"2000\"\nowners = [\"102\"]\n",
            sb_config::DEMO_TOML
        ),
    )
    .expect("write config");
    let config = config.display().to_string();

    let said = refused(dir.path(), &["support", "unavailable", &good]);
    assert!(said.contains("no voicemail box"), "{said}");
    greeting(
        dir.path(),
        &["--config", &config, "support", "unavailable", &good],
    );
    assert!(greeting_file(dir.path(), "support", "unavailable").is_file());
}
