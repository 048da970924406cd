use super::*;
use std::path::Path;

fn config() -> RecorderConfig {
    RecorderConfig {
        max_length: Duration::from_secs(60),
        silence: None,
        stop_digits: "#*".into(),
    }
}

/// 20 ms of a loud tone (about -9 dBFS).
fn speech() -> Vec<i16> {
    (0..160)
        .map(|i| if i % 8 < 4 { 12_000 } else { -12_000 })
        .collect()
}

/// 20 ms of line noise (about -60 dBFS).
fn hiss() -> Vec<i16> {
    (0..160)
        .map(|i| if i % 2 == 0 { 33 } else { -33 })
        .collect()
}

fn read(path: &Path) -> Vec<i16> {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (1, 8000, 16)
    );
    reader.samples::<i16>().map(Result::unwrap).collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_stop_digit_stops_and_other_digits_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::create(dir.path().join("msg.wav"), config()).unwrap();
    assert_eq!(recorder.push(&speech()).unwrap(), Progress::Recording);
    assert_eq!(recorder.digit('5'), Progress::Recording);
    assert_eq!(recorder.push(&speech()).unwrap(), Progress::Recording);
    assert_eq!(recorder.digit('#'), Progress::Stop(StopReason::Digit('#')));
    // Input after the stop is not recorded, and the first reason is kept.
    assert_eq!(
        recorder.push(&speech()).unwrap(),
        Progress::Stop(StopReason::Digit('#'))
    );
    assert_eq!(recorder.digit('*'), Progress::Stop(StopReason::Digit('#')));
    let recording = recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(recording.reason, StopReason::Digit('#'));
    assert_eq!(recording.duration, Duration::from_millis(40));
    assert_eq!(read(&recording.path), [speech(), speech()].concat());
}

#[test]
fn silence_stops_and_the_trailing_silence_is_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let config = RecorderConfig {
        silence: Some(SilenceRule {
            threshold_dbfs: -45.0,
            duration: Duration::from_millis(100),
        }),
        ..config()
    };
    let mut recorder = Recorder::create(dir.path().join("msg.wav"), config).unwrap();
    recorder.push(&speech()).unwrap();
    // A pause shorter than the rule is kept, inside the message.
    for _ in 0..4 {
        assert_eq!(recorder.push(&hiss()).unwrap(), Progress::Recording);
    }
    recorder.push(&speech()).unwrap();
    for _ in 0..4 {
        assert_eq!(recorder.push(&hiss()).unwrap(), Progress::Recording);
    }
    assert_eq!(
        recorder.push(&hiss()).unwrap(),
        Progress::Stop(StopReason::Silence)
    );
    let recording = recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(recording.reason, StopReason::Silence);
    let expected = [speech(), hiss(), hiss(), hiss(), hiss(), speech()].concat();
    assert_eq!(read(&recording.path), expected);
    assert_eq!(recording.duration, Duration::from_millis(120));
}

#[test]
fn the_maximum_length_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let config = RecorderConfig {
        max_length: Duration::from_millis(50),
        ..config()
    };
    let mut recorder = Recorder::create(dir.path().join("msg.wav"), config).unwrap();
    assert_eq!(recorder.push(&speech()).unwrap(), Progress::Recording);
    assert_eq!(recorder.push(&speech()).unwrap(), Progress::Recording);
    assert_eq!(
        recorder.push(&speech()).unwrap(),
        Progress::Stop(StopReason::MaxLength)
    );
    assert_eq!(recorder.duration(), Duration::from_millis(50));
    let recording = recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(recording.reason, StopReason::MaxLength);
    assert_eq!(read(&recording.path).len(), 400);
}

#[test]
fn pending_silence_counts_toward_the_maximum_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = RecorderConfig {
        max_length: Duration::from_millis(60),
        silence: Some(SilenceRule {
            threshold_dbfs: -45.0,
            duration: Duration::from_secs(1),
        }),
        ..config()
    };
    let mut recorder = Recorder::create(dir.path().join("msg.wav"), config).unwrap();
    recorder.push(&speech()).unwrap();
    recorder.push(&hiss()).unwrap();
    assert_eq!(
        recorder.push(&hiss()).unwrap(),
        Progress::Stop(StopReason::MaxLength)
    );
    let recording = recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(read(&recording.path), [speech(), hiss(), hiss()].concat());
}

#[test]
fn hang_up_keeps_what_was_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::create(dir.path().join("msg.wav"), config()).unwrap();
    recorder.push(&speech()[..100]).unwrap();
    let recording = recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(recording.reason, StopReason::HangUp);
    assert_eq!(read(&recording.path), speech()[..100]);
}

#[test]
fn a_recording_of_nothing_is_a_valid_wav() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::create(dir.path().join("empty.wav"), config()).unwrap();
    let recording = recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(recording.duration, Duration::ZERO);
    assert_eq!(read(&recording.path), Vec::<i16>::new());
    assert_eq!(std::fs::metadata(&recording.path).unwrap().len(), 44);
}

#[test]
fn the_file_appears_under_its_name_only_when_finished() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msg.wav");
    let mut recorder = Recorder::create(&path, config()).unwrap();
    recorder.push(&speech()).unwrap();
    let temp = recorder.file.temp().to_path_buf();
    assert_eq!(temp.parent(), Some(dir.path()));
    assert!(!path.exists());
    assert_eq!(
        files(dir.path()),
        [temp.file_name().unwrap().to_string_lossy()]
    );
    recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(files(dir.path()), ["msg.wav"]);
    assert_eq!(read(&path), speech());
}

#[test]
fn a_recorder_dropped_unfinished_still_keeps_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("msg.wav");
    let mut recorder = Recorder::create(&path, config()).unwrap();
    recorder.push(&speech()).unwrap();
    recorder.push(&hiss()).unwrap();
    drop(recorder);
    assert_eq!(files(dir.path()), ["msg.wav"]);
    assert_eq!(read(&path), [speech(), hiss()].concat());
}

#[test]
fn two_legs_mix_with_saturation() {
    let dir = tempfile::tempdir().unwrap();
    let mut recorder = Recorder::create(dir.path().join("call.wav"), config()).unwrap();
    recorder
        .push_mixed(&[1000, 30_000, -30_000, 5], &[-400, 10_000, -10_000])
        .unwrap();
    let recording = recorder.finish(StopReason::HangUp).unwrap();
    assert_eq!(read(&recording.path), [600, i16::MAX, i16::MIN, 5]);
}

#[test]
fn bad_paths_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no such dir").join("msg.wav");
    let err = Recorder::create(&missing, config()).err().unwrap();
    assert!(matches!(err, RecordError::Create { ref path, .. } if *path == missing));
    assert!(err.to_string().contains("no such dir"));
    let err = Recorder::create(dir.path().join(".."), config())
        .err()
        .unwrap();
    assert!(matches!(err, RecordError::NoFileName(_)));
}
