//! Phrases with numbers in them ("you are number 3 in the queue", "about 5 minutes") as
//! playlists of prompt names, with the grammar each language needs.
//!
//! Numbers 0..=100 are spoken as words. Larger numbers (a queue of 150 callers, a wait of
//! two hours) are rare on a telephone and are read digit by digit ("one five zero"): the
//! caller still hears the value, no call fails over it, and the prompt set stays small.
//!
//! Russian agrees numbers with nouns in two ways, and both are covered here:
//! - the noun's form follows the number's plural category (CLDR): *one* for 1, 21, 31 ...
//!   but not 11 (1 минута, 21 минута); *few* for 2-4, 22-24 ... but not 12-14 (2 минуты);
//!   *many* for the rest, 0 and 5-20 included (5 минут, 11 минут);
//! - "one" and "two" take the noun's gender: минута is feminine (одна минута, две минуты),
//!   сообщение is neuter (одно сообщение, два сообщения). So Russian has three extra
//!   number prompts: `num-1f` (одна), `num-2f` (две) and `num-1n` (одно); `num-1`/`num-2`
//!   (один, два) are masculine and also the neuter "two".
//!
//! English needs only *one* (1 minute) and *other* (0 minutes, 2 minutes).
//!
//! Times and dates (a voicemail's "received at 2:05 p.m. March 3rd") follow each language's
//! habit: English says the 12-hour clock with "oh" before single-digit minutes and a.m. or
//! p.m.; Russian the 24-hour clock with the minutes feminine, as минута is ("четырнадцать
//! ноль одна"). Days are ordinals, `ord-1` .. `ord-20` and `ord-30` (21st is `num-20` +
//! `ord-1`), recorded in Russian in the genitive the date needs ("третьего марта"), and
//! `month-1` .. `month-12` likewise; English puts the month first, Russian the day.

use super::prompts::Language;

/// Grammatical gender of a counted noun; only Russian's "one" and "two" change with it.
#[derive(Clone, Copy)]
enum Gender {
    Masculine,
    Feminine,
    Neuter,
}

/// CLDR plural category of a whole number.
#[derive(Clone, Copy)]
enum Plural {
    One,
    Few,
    Many,
    Other,
}

/// A countable noun's prompts, one per plural category its language uses.
struct Noun {
    gender: Gender,
    one: &'static str,
    few: &'static str,
    many: &'static str,
    other: &'static str,
}

const MINUTES: Noun = Noun {
    gender: Gender::Feminine,
    one: "minutes-one",
    few: "minutes-few",
    many: "minutes-many",
    other: "minutes-other",
};

const SECONDS: Noun = Noun {
    gender: Gender::Feminine,
    one: "seconds-one",
    few: "seconds-few",
    many: "seconds-many",
    other: "seconds-other",
};

const NEW_MESSAGES: Noun = Noun {
    gender: Gender::Neuter,
    one: "vm-new-messages-one",
    few: "vm-new-messages-few",
    many: "vm-new-messages-many",
    other: "vm-new-messages-other",
};

const SAVED_MESSAGES: Noun = Noun {
    gender: Gender::Neuter,
    one: "vm-saved-messages-one",
    few: "vm-saved-messages-few",
    many: "vm-saved-messages-many",
    other: "vm-saved-messages-other",
};

/// Ordinal words for days 1..=20, by value from 1 (Russian: genitive).
const ORDINALS: [&str; 20] = [
    "ord-1", "ord-2", "ord-3", "ord-4", "ord-5", "ord-6", "ord-7", "ord-8", "ord-9", "ord-10",
    "ord-11", "ord-12", "ord-13", "ord-14", "ord-15", "ord-16", "ord-17", "ord-18", "ord-19",
    "ord-20",
];

const ORDINAL_30: &str = "ord-30";

/// Month names, January first (Russian: genitive).
const MONTHS: [&str; 12] = [
    "month-1", "month-2", "month-3", "month-4", "month-5", "month-6", "month-7", "month-8",
    "month-9", "month-10", "month-11", "month-12",
];

/// Number words 0..=19, by value.
const UNITS: [&str; 20] = [
    "num-0", "num-1", "num-2", "num-3", "num-4", "num-5", "num-6", "num-7", "num-8", "num-9",
    "num-10", "num-11", "num-12", "num-13", "num-14", "num-15", "num-16", "num-17", "num-18",
    "num-19",
];

/// Number words for 20, 30 .. 90, by tens digit (the first two entries are unused).
const TENS: [&str; 10] = [
    "", "", "num-20", "num-30", "num-40", "num-50", "num-60", "num-70", "num-80", "num-90",
];

const HUNDRED: &str = "num-100";

/// `n` as words (masculine, the form for counting and for "number N"); above 100, its digits.
pub fn say_number(language: Language, n: u32) -> Vec<&'static str> {
    number(language, n, Gender::Masculine)
}

/// "N minutes", the noun agreeing with the number.
pub fn say_minutes(language: Language, n: u32) -> Vec<&'static str> {
    counted(language, n, &MINUTES)
}

/// "You are number N in the queue" (English); "Ваш номер в очереди: N" (Russian).
pub fn queue_position(language: Language, n: u32) -> Vec<&'static str> {
    let mut words = vec!["queue-you-are"];
    words.extend(say_number(language, n));
    if language == Language::En {
        words.push("queue-in-line");
    }
    words
}

/// "The estimated waiting time is N minutes"; for 0, "... is less than a minute", which is
/// what a caller should hear rather than "zero minutes".
pub fn estimated_wait(language: Language, minutes: u32) -> Vec<&'static str> {
    let mut words = vec!["queue-estimated-wait"];
    if minutes == 0 {
        words.push("queue-less-than-minute");
    } else {
        words.extend(say_minutes(language, minutes));
    }
    words
}

/// How long a caller waited, told to the agent about to take the call: "the caller waited
/// 2 minutes 5 seconds" ("время ожидания: две минуты пять секунд"). Whole minutes, then the
/// seconds left; either is left out when 0, but no wait at all is "0 seconds". An agent
/// hears the exact figure (unlike a caller's rounded estimate): it is what they apologise
/// for.
pub fn waited(language: Language, secs: u64) -> Vec<&'static str> {
    let minutes = u32::try_from(secs / 60).unwrap_or(u32::MAX);
    let seconds = (secs % 60) as u32;
    let mut words = vec!["queue-agent-waited"];
    if minutes > 0 {
        words.extend(say_minutes(language, minutes));
    }
    if seconds > 0 || minutes == 0 {
        words.extend(counted(language, seconds, &SECONDS));
    }
    words
}

/// "You have N new messages", or "You have no new messages" for 0.
pub fn new_messages(language: Language, n: u32) -> Vec<&'static str> {
    let mut words = vec!["vm-you-have"];
    if n == 0 {
        words.push("vm-no-new-messages");
    } else {
        words.extend(counted(language, n, &NEW_MESSAGES));
    }
    words
}

/// What a mailbox holds, said when its owner calls in: "You have 3 new messages and 2
/// saved messages"; saved messages only when there are some, and "You have no messages"
/// for an empty box.
pub fn message_counts(language: Language, new: u32, saved: u32) -> Vec<&'static str> {
    if new == 0 && saved == 0 {
        return vec!["vm-you-have", "vm-no-messages"];
    }
    let mut words = new_messages(language, new);
    if saved > 0 {
        words.push("vm-and");
        words.extend(counted(language, saved, &SAVED_MESSAGES));
    }
    words
}

/// A time of day, "two oh five p.m." (English) or "четырнадцать ноль пять" (Russian).
/// An hour above 23 or a minute above 59 is taken modulo 24 or 60, so a caller's mistake
/// cannot fail a call.
pub fn time_of_day(language: Language, hour: u32, minute: u32) -> Vec<&'static str> {
    let (hour, minute) = (hour % 24, minute % 60);
    match language {
        Language::En => {
            let mut words = say_number(language, if hour % 12 == 0 { 12 } else { hour % 12 });
            match minute {
                0 => {}
                1..=9 => words.extend(["time-oh", UNITS[minute as usize]]),
                _ => words.extend(say_number(language, minute)),
            }
            words.push(if hour < 12 { "time-am" } else { "time-pm" });
            words
        }
        Language::Ru => {
            let mut words = say_number(language, hour);
            if minute < 10 {
                words.push(UNITS[0]);
            }
            words.extend(number(language, minute, Gender::Feminine));
            words
        }
    }
}

/// A day of the year, "March third" (English) or "третьего марта" (Russian). A day
/// outside 1..=31 or a month outside 1..=12 is said as a plain number rather than fail.
pub fn date(language: Language, day: u32, month: u32) -> Vec<&'static str> {
    let day_words = match day {
        1..=20 => vec![ORDINALS[day as usize - 1]],
        30 => vec![ORDINAL_30],
        21..=29 | 31 => vec![TENS[day as usize / 10], ORDINALS[day as usize % 10 - 1]],
        _ => say_number(language, day),
    };
    let month_words = match month {
        1..=12 => vec![MONTHS[month as usize - 1]],
        _ => say_number(language, month),
    };
    let (first, second) = match language {
        Language::En => (month_words, day_words),
        Language::Ru => (day_words, month_words),
    };
    first.into_iter().chain(second).collect()
}

/// Every prompt name the functions of this module can return for `language`: the part of
/// the prompt catalogue that belongs to phrases.
pub(super) fn vocabulary(language: Language) -> Vec<&'static str> {
    let mut words = vec![
        "queue-you-are",
        "queue-estimated-wait",
        "queue-less-than-minute",
        "queue-agent-waited",
        "vm-you-have",
        "vm-no-new-messages",
        "vm-no-messages",
        "vm-and",
    ];
    words.extend(UNITS);
    words.extend(&TENS[2..]);
    words.push(HUNDRED);
    words.extend(ORDINALS);
    words.push(ORDINAL_30);
    words.extend(MONTHS);
    match language {
        Language::En => words.extend([
            "queue-in-line",
            MINUTES.one,
            MINUTES.other,
            SECONDS.one,
            SECONDS.other,
            NEW_MESSAGES.one,
            NEW_MESSAGES.other,
            SAVED_MESSAGES.one,
            SAVED_MESSAGES.other,
            "time-oh",
            "time-am",
            "time-pm",
        ]),
        Language::Ru => words.extend([
            "num-1f",
            "num-2f",
            "num-1n",
            MINUTES.one,
            MINUTES.few,
            MINUTES.many,
            SECONDS.one,
            SECONDS.few,
            SECONDS.many,
            NEW_MESSAGES.one,
            NEW_MESSAGES.few,
            NEW_MESSAGES.many,
            SAVED_MESSAGES.one,
            SAVED_MESSAGES.few,
            SAVED_MESSAGES.many,
        ]),
    }
    words
}

/// "N <noun>", the number in the noun's gender and the noun in the number's category.
fn counted(language: Language, n: u32, noun: &Noun) -> Vec<&'static str> {
    let mut words = number(language, n, noun.gender);
    words.push(match plural(language, n) {
        Plural::One => noun.one,
        Plural::Few => noun.few,
        Plural::Many => noun.many,
        Plural::Other => noun.other,
    });
    words
}

fn plural(language: Language, n: u32) -> Plural {
    match language {
        Language::En if n == 1 => Plural::One,
        Language::En => Plural::Other,
        Language::Ru => match (n % 10, n % 100) {
            (1, last_two) if last_two != 11 => Plural::One,
            (2..=4, last_two) if !(12..=14).contains(&last_two) => Plural::Few,
            _ => Plural::Many,
        },
    }
}

fn number(language: Language, n: u32, gender: Gender) -> Vec<&'static str> {
    match n {
        0..=19 => vec![unit(language, n, gender)],
        20..=99 => {
            let tens = TENS[n as usize / 10];
            match n % 10 {
                0 => vec![tens],
                units => vec![tens, unit(language, units, gender)],
            }
        }
        100 => vec![HUNDRED],
        _ => n
            .to_string()
            .bytes()
            .map(|d| UNITS[usize::from(d - b'0')])
            .collect(),
    }
}

/// The word for 0..=19, in the gender's form where the language has one.
fn unit(language: Language, n: u32, gender: Gender) -> &'static str {
    match (language, n, gender) {
        (Language::Ru, 1, Gender::Feminine) => "num-1f",
        (Language::Ru, 1, Gender::Neuter) => "num-1n",
        (Language::Ru, 2, Gender::Feminine) => "num-2f",
        _ => UNITS[n as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Language::{En, Ru};

    #[test]
    fn numbers_to_100_are_words() {
        assert_eq!(say_number(En, 0), ["num-0"]);
        assert_eq!(say_number(En, 7), ["num-7"]);
        assert_eq!(say_number(En, 13), ["num-13"]);
        assert_eq!(say_number(En, 20), ["num-20"]);
        assert_eq!(say_number(En, 42), ["num-40", "num-2"]);
        assert_eq!(say_number(En, 99), ["num-90", "num-9"]);
        assert_eq!(say_number(En, 100), ["num-100"]);
        // Plain numbers are masculine in Russian: "номер один", "номер двадцать два".
        assert_eq!(say_number(Ru, 1), ["num-1"]);
        assert_eq!(say_number(Ru, 22), ["num-20", "num-2"]);
    }

    #[test]
    fn numbers_above_100_are_read_digit_by_digit() {
        assert_eq!(say_number(En, 101), ["num-1", "num-0", "num-1"]);
        assert_eq!(say_number(Ru, 250), ["num-2", "num-5", "num-0"]);
        let max = say_number(En, u32::MAX);
        assert_eq!(max.len(), 10);
        assert_eq!(max[0], "num-4");
    }

    /// The Russian noun form for every n in 0..=1000, from the rule stated independently.
    #[test]
    fn russian_minutes_agree_with_every_number() {
        for n in 0..=1000u32 {
            let words = say_minutes(Ru, n);
            let noun = *words.last().unwrap();
            let expected = if n % 100 >= 11 && n % 100 <= 14 {
                "minutes-many"
            } else {
                match n % 10 {
                    1 => "minutes-one",
                    2..=4 => "minutes-few",
                    _ => "minutes-many",
                }
            };
            assert_eq!(noun, expected, "{n}");
        }
    }

    #[test]
    fn russian_minutes_examples() {
        let cases: [(u32, &[&str]); 14] = [
            (0, &["num-0", "minutes-many"]),
            (1, &["num-1f", "minutes-one"]),
            (2, &["num-2f", "minutes-few"]),
            (3, &["num-3", "minutes-few"]),
            (4, &["num-4", "minutes-few"]),
            (5, &["num-5", "minutes-many"]),
            (11, &["num-11", "minutes-many"]),
            (12, &["num-12", "minutes-many"]),
            (14, &["num-14", "minutes-many"]),
            (20, &["num-20", "minutes-many"]),
            (21, &["num-20", "num-1f", "minutes-one"]),
            (22, &["num-20", "num-2f", "minutes-few"]),
            (25, &["num-20", "num-5", "minutes-many"]),
            (100, &["num-100", "minutes-many"]),
        ];
        for (n, expected) in cases {
            assert_eq!(say_minutes(Ru, n), expected, "{n}");
        }
        // Digit by digit above 100, the noun still agrees with the whole number.
        assert_eq!(
            say_minutes(Ru, 101),
            ["num-1", "num-0", "num-1", "minutes-one"]
        );
        assert_eq!(say_minutes(Ru, 111).last(), Some(&"minutes-many"));
    }

    #[test]
    fn russian_feminine_and_neuter_only_change_one_and_two() {
        for n in 0..=100u32 {
            let plain = say_number(Ru, n);
            let feminine = &say_minutes(Ru, n)[..plain.len()];
            let neuter = &new_messages(Ru, n)[1..];
            for (i, word) in plain.iter().enumerate() {
                let last = i == plain.len() - 1;
                let (f, ne) = match *word {
                    "num-1" if last => ("num-1f", "num-1n"),
                    "num-2" if last => ("num-2f", "num-2"),
                    other => (other, other),
                };
                assert_eq!(feminine[i], f, "{n} minutes");
                if n != 0 {
                    assert_eq!(neuter[i], ne, "{n} messages");
                }
            }
        }
    }

    #[test]
    fn english_minutes_are_singular_only_for_one() {
        assert_eq!(say_minutes(En, 1), ["num-1", "minutes-one"]);
        for n in [0, 2, 5, 11, 21, 100, 101] {
            assert_eq!(say_minutes(En, n).last(), Some(&"minutes-other"), "{n}");
        }
    }

    #[test]
    fn queue_phrases() {
        assert_eq!(
            queue_position(En, 3),
            ["queue-you-are", "num-3", "queue-in-line"]
        );
        assert_eq!(queue_position(Ru, 21), ["queue-you-are", "num-20", "num-1"]);
        assert_eq!(
            estimated_wait(En, 0),
            ["queue-estimated-wait", "queue-less-than-minute"]
        );
        assert_eq!(
            estimated_wait(Ru, 0),
            ["queue-estimated-wait", "queue-less-than-minute"]
        );
        assert_eq!(
            estimated_wait(En, 4),
            ["queue-estimated-wait", "num-4", "minutes-other"]
        );
        assert_eq!(
            estimated_wait(Ru, 2),
            ["queue-estimated-wait", "num-2f", "minutes-few"]
        );
    }

    #[test]
    fn an_agent_hears_the_exact_wait_in_minutes_and_seconds() {
        assert_eq!(
            waited(En, 0),
            ["queue-agent-waited", "num-0", "seconds-other"]
        );
        assert_eq!(
            waited(En, 1),
            ["queue-agent-waited", "num-1", "seconds-one"]
        );
        assert_eq!(
            waited(En, 60),
            ["queue-agent-waited", "num-1", "minutes-one"]
        );
        assert_eq!(
            waited(En, 125),
            [
                "queue-agent-waited",
                "num-2",
                "minutes-other",
                "num-5",
                "seconds-other"
            ]
        );
        // Russian: секунда is feminine like минута: "одна минута двадцать одна секунда".
        assert_eq!(
            waited(Ru, 81),
            [
                "queue-agent-waited",
                "num-1f",
                "minutes-one",
                "num-20",
                "num-1f",
                "seconds-one"
            ]
        );
        assert_eq!(
            waited(Ru, 3),
            ["queue-agent-waited", "num-3", "seconds-few"]
        );
        assert_eq!(
            waited(Ru, 12),
            ["queue-agent-waited", "num-12", "seconds-many"]
        );
        // A wait past what minutes can count is still said, digit by digit.
        let longest = waited(Ru, u64::MAX);
        assert_eq!(longest.first(), Some(&"queue-agent-waited"));
        assert_eq!(longest.last(), Some(&"seconds-many"));
    }

    #[test]
    fn voicemail_phrases() {
        assert_eq!(new_messages(En, 0), ["vm-you-have", "vm-no-new-messages"]);
        assert_eq!(
            new_messages(En, 1),
            ["vm-you-have", "num-1", "vm-new-messages-one"]
        );
        assert_eq!(
            new_messages(En, 2),
            ["vm-you-have", "num-2", "vm-new-messages-other"]
        );
        assert_eq!(
            new_messages(Ru, 1),
            ["vm-you-have", "num-1n", "vm-new-messages-one"]
        );
        assert_eq!(
            new_messages(Ru, 2),
            ["vm-you-have", "num-2", "vm-new-messages-few"]
        );
        assert_eq!(
            new_messages(Ru, 5),
            ["vm-you-have", "num-5", "vm-new-messages-many"]
        );
        assert_eq!(
            new_messages(Ru, 31),
            ["vm-you-have", "num-30", "num-1n", "vm-new-messages-one"]
        );
    }

    #[test]
    fn message_counts_mention_saved_messages_only_when_there_are_some() {
        assert_eq!(message_counts(En, 0, 0), ["vm-you-have", "vm-no-messages"]);
        assert_eq!(message_counts(Ru, 0, 0), ["vm-you-have", "vm-no-messages"]);
        assert_eq!(message_counts(En, 3, 0), new_messages(En, 3));
        assert_eq!(
            message_counts(En, 0, 1),
            [
                "vm-you-have",
                "vm-no-new-messages",
                "vm-and",
                "num-1",
                "vm-saved-messages-one"
            ]
        );
        assert_eq!(
            message_counts(En, 2, 5),
            [
                "vm-you-have",
                "num-2",
                "vm-new-messages-other",
                "vm-and",
                "num-5",
                "vm-saved-messages-other"
            ]
        );
        // Russian: "одно новое сообщение, а также два сохранённых сообщения".
        assert_eq!(
            message_counts(Ru, 1, 2),
            [
                "vm-you-have",
                "num-1n",
                "vm-new-messages-one",
                "vm-and",
                "num-2",
                "vm-saved-messages-few"
            ]
        );
        assert_eq!(
            message_counts(Ru, 0, 21)[2..],
            ["vm-and", "num-20", "num-1n", "vm-saved-messages-one"]
        );
        assert_eq!(
            message_counts(Ru, 5, 11).last(),
            Some(&"vm-saved-messages-many")
        );
    }

    #[test]
    fn english_times_use_the_12_hour_clock() {
        let cases: [(u32, u32, &[&str]); 7] = [
            (0, 0, &["num-12", "time-am"]),
            (9, 5, &["num-9", "time-oh", "num-5", "time-am"]),
            (11, 59, &["num-11", "num-50", "num-9", "time-am"]),
            (12, 0, &["num-12", "time-pm"]),
            (12, 30, &["num-12", "num-30", "time-pm"]),
            (14, 5, &["num-2", "time-oh", "num-5", "time-pm"]),
            (23, 10, &["num-11", "num-10", "time-pm"]),
        ];
        for (hour, minute, expected) in cases {
            assert_eq!(time_of_day(En, hour, minute), expected, "{hour}:{minute}");
        }
    }

    #[test]
    fn russian_times_use_the_24_hour_clock_with_feminine_minutes() {
        let cases: [(u32, u32, &[&str]); 6] = [
            (0, 0, &["num-0", "num-0", "num-0"]),
            (14, 5, &["num-14", "num-0", "num-5"]),
            (14, 1, &["num-14", "num-0", "num-1f"]),
            (9, 22, &["num-9", "num-20", "num-2f"]),
            (21, 31, &["num-20", "num-1", "num-30", "num-1f"]),
            (18, 0, &["num-18", "num-0", "num-0"]),
        ];
        for (hour, minute, expected) in cases {
            assert_eq!(time_of_day(Ru, hour, minute), expected, "{hour}:{minute}");
        }
        // Out of range wraps rather than fails.
        assert_eq!(time_of_day(Ru, 24, 60), time_of_day(Ru, 0, 0));
    }

    #[test]
    fn dates_are_ordinal_days_and_months_in_each_language_order() {
        assert_eq!(date(En, 3, 3), ["month-3", "ord-3"]);
        assert_eq!(date(Ru, 3, 3), ["ord-3", "month-3"]);
        assert_eq!(date(En, 1, 1), ["month-1", "ord-1"]);
        assert_eq!(date(Ru, 20, 12), ["ord-20", "month-12"]);
        assert_eq!(date(Ru, 23, 11), ["num-20", "ord-3", "month-11"]);
        assert_eq!(date(En, 30, 4), ["month-4", "ord-30"]);
        assert_eq!(date(En, 31, 12), ["month-12", "num-30", "ord-1"]);
        // Impossible values are said as numbers, never a panic.
        assert_eq!(date(En, 0, 13), ["num-13", "num-0"]);
        assert_eq!(date(Ru, 32, 0), ["num-30", "num-2", "num-0"]);
    }

    /// What the phrases produce is exactly the vocabulary: nothing missing from the
    /// catalogue, nothing recorded that is never played.
    #[test]
    fn the_vocabulary_is_exactly_what_phrases_use() {
        use std::collections::BTreeSet;
        for language in Language::ALL {
            let mut used = BTreeSet::new();
            for n in 0..=1000 {
                used.extend(say_number(language, n));
                used.extend(queue_position(language, n));
                used.extend(estimated_wait(language, n));
                used.extend(waited(language, u64::from(n)));
                used.extend(new_messages(language, n));
                used.extend(message_counts(language, n % 7, n));
            }
            for hour in 0..24 {
                for minute in 0..60 {
                    used.extend(time_of_day(language, hour, minute));
                }
            }
            for month in 0..=13 {
                for day in 0..=32 {
                    used.extend(date(language, day, month));
                }
            }
            let vocabulary: BTreeSet<_> = vocabulary(language).into_iter().collect();
            assert_eq!(used, vocabulary, "{language:?}");
        }
    }
}
