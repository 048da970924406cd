//! Dials with the mobile, forwards to outside numbers, prompts before the answer, and the
//! list of prompt names the shell checks against its files.

use super::*;

const MOBILE: &str = r#"
    [scenario.m]
    entry = "try"
    default = "mail"
    [scenario.m.steps.try]
    kind = "dial"
    extension = "104"
    mobile = true
    timeout = 20
    on = { no_answer = "away" }
    [scenario.m.steps.away]
    kind = "forward"
    number = "+79000000101"
    [scenario.m.steps.mail]
    kind = "voicemail"
    box = "104"
"#;

#[test]
fn a_dial_with_the_mobile_rings_desk_and_mobile_at_once() {
    let now = at(MORNING);
    let (mut call, actions) = call_in(MOBILE, "m", now);
    assert_eq!(
        actions,
        [dial_for(&[ext("104"), outside("+79000000104")], 20)]
    );
    // One outcome for the whole dial: the shell decided it over both legs.
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now + secs(20)),
        [dial_for(&[outside("+79000000101")], 30)]
    );
    assert!(call
        .on_event(Event::DialOutcome(Outcome::Answered), now + secs(40))
        .is_empty());
    assert!(call.is_finished());
    assert_eq!(
        texts(&call),
        [
            "scenario m",
            "dial 104 and mobile +79000000104 (20 s)",
            "dial 104 and mobile +79000000104: no answer after 20 s → away",
            "forward +79000000101 (30 s)",
            "forward +79000000101: answered",
        ]
    );
}

#[test]
fn a_forward_routes_its_outcomes_like_a_dial() {
    let now = at(MORNING);
    let cases = [
        (
            Outcome::NoAnswer,
            "forward +79000000101: no answer after 30 s → mail (default)",
        ),
        (Outcome::Busy, "forward +79000000101: busy → mail (default)"),
        (
            Outcome::Failed,
            "forward +79000000101: failed → mail (default)",
        ),
    ];
    for (outcome, line) in cases {
        let (mut call, _) = call_in(MOBILE, "m", now);
        call.on_event(Event::DialOutcome(Outcome::NoAnswer), now);
        assert_eq!(
            call.on_event(Event::DialOutcome(outcome), now),
            [
                Action::Answer,
                Action::Voicemail {
                    mailbox: "104".into()
                }
            ],
            "{outcome}"
        );
        assert_eq!(texts(&call)[4], line);
    }
}

#[test]
fn mobile_and_forward_read_and_write_back_as_toml() {
    let step: StepConfig =
        toml::from_str("kind = \"forward\"\nnumber = \"89000000101\"\n").unwrap();
    let StepConfig::Forward(forward) = &step else {
        panic!("{step:?}")
    };
    assert_eq!(forward.timeout, DEFAULT_FORWARD_TIMEOUT);
    assert_eq!(step.kind(), "forward");
    let dial: DialStep = toml::from_str("extension = \"101\"").unwrap();
    assert!(!dial.mobile);
    // `mobile = false` is the default and is left out when written.
    let text = toml::to_string(&dial).unwrap();
    assert!(!text.contains("mobile"), "{text}");
    let with: DialStep = toml::from_str("extension = \"101\"\nmobile = true").unwrap();
    assert!(toml::to_string(&with).unwrap().contains("mobile = true"));
}

const EARLY: &str = r#"
    [scenario.e]
    entry = "notice"
    default = "sorry"
    [scenario.e.steps.notice]
    kind = "play"
    prompts = ["all-busy"]
    answer = false
    next = "try"
    [scenario.e.steps.try]
    kind = "dial"
    extension = "104"
    [scenario.e.steps.sorry]
    kind = "play"
    prompts = ["sorry"]
    next = "again"
    [scenario.e.steps.again]
    kind = "play"
    prompts = ["later"]
    answer = false
    next = "bye"
    [scenario.e.steps.bye]
    kind = "hangup"
"#;

#[test]
fn a_play_with_answer_false_is_early_media_until_a_step_answers() {
    let now = at(MORNING);
    let (mut call, actions) = call_in(EARLY, "e", now);
    // No Answer before the prompt: the shell plays it as early media (183).
    assert_eq!(actions, [play(&["all-busy"], 1)]);
    assert_eq!(call.on_event(Event::PlayFinished(1), now), [dial("104")]);
    // The next prompt needs an answered call: one Answer, then the prompt.
    assert_eq!(
        call.on_event(Event::DialOutcome(Outcome::Busy), now),
        [Action::Answer, play(&["sorry"], 2)]
    );
    // Once answered, `answer = false` changes nothing and never answers twice.
    assert_eq!(
        call.on_event(Event::PlayFinished(2), now),
        [play(&["later"], 3)]
    );
    assert_eq!(
        call.on_event(Event::PlayFinished(3), now),
        [Action::Hangup {
            cause: "normal".into()
        }]
    );
    assert_eq!(
        texts(&call),
        [
            "scenario e",
            "play all-busy (before answer)",
            "dial 104 (15 s)",
            "dial 104: busy → sorry (default)",
            "play sorry",
            "play later",
            "hangup: normal",
        ]
    );
}

#[test]
fn answer_defaults_to_true_and_is_written_only_when_false() {
    let play: PlayStep = toml::from_str("prompts = [\"p\"]").unwrap();
    assert!(play.answer);
    assert!(!toml::to_string(&play).unwrap().contains("answer"));
    let early: PlayStep = toml::from_str("prompts = [\"p\"]\nanswer = false").unwrap();
    assert!(toml::to_string(&early).unwrap().contains("answer = false"));
}

#[test]
fn prompt_names_list_every_prompt_with_the_greeting_expanded() {
    let names = demo_flows().prompt_names();
    let names: Vec<(&str, &str)> = names
        .iter()
        .map(|(path, name)| (path.as_str(), name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (
                "scenario.main.steps.greeting.prompts[0]",
                "greeting-morning"
            ),
            ("scenario.main.steps.greeting.prompts[0]", "greeting-day"),
            (
                "scenario.main.steps.greeting.prompts[0]",
                "greeting-evening"
            ),
            ("scenario.main.steps.lunch.prompts[0]", "lunch"),
            ("scenario.main.steps.menu.prompts[0]", "menu-default"),
            (
                "scenario.main.steps.menu.invalid_prompts[0]",
                "invalid-choice"
            ),
            ("scenario.main.steps.night.prompts[0]", "night"),
        ]
    );
}

#[test]
fn prompt_names_cover_what_the_engine_plays_at_every_hour() {
    let flows = Arc::new(demo_flows());
    let listed: Vec<String> = flows.prompt_names().into_iter().map(|(_, n)| n).collect();
    for hour in 9..18 {
        let now = at(&format!("2026-11-23T{hour:02}:30:00+03:00"));
        let (_, actions) = CallFlow::start(flows.clone(), "main", now, BTreeMap::new());
        for action in actions {
            if let Action::Play { prompts, .. } = action {
                for prompt in prompts {
                    assert!(listed.contains(&prompt), "{hour}:30 plays {prompt}");
                }
            }
        }
    }
}

#[test]
fn prompt_names_include_menu_timeout_prompts_in_order() {
    let flows = flows_from(
        r#"
        [scenario.x]
        entry = "m"
        default = "m"
        [scenario.x.steps.m]
        kind = "menu"
        prompts = ["a", "b"]
        invalid_prompts = ["c"]
        timeout_prompts = ["d", "e"]
    "#,
    )
    .unwrap();
    let paths: Vec<String> = flows
        .prompt_names()
        .into_iter()
        .map(|(path, name)| format!("{path}={name}"))
        .collect();
    assert_eq!(
        paths,
        [
            "scenario.x.steps.m.prompts[0]=a",
            "scenario.x.steps.m.prompts[1]=b",
            "scenario.x.steps.m.invalid_prompts[0]=c",
            "scenario.x.steps.m.timeout_prompts[0]=d",
            "scenario.x.steps.m.timeout_prompts[1]=e",
        ]
    );
}
