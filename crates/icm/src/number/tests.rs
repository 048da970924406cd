//! The forms caller numbers really arrive in, from carriers, softphones and CRMs.

use super::*;

fn plan() -> NumberPlan {
    NumberPlan::default()
}

fn e164(text: &str) -> Result<Number, NumberError> {
    Ok(Number::E164(text.to_owned()))
}

#[test]
fn real_world_forms() {
    let table: &[(&str, Result<Number, NumberError>)] = &[
        // Moscow landline, every way it is written.
        ("+7 495 123-45-67", e164("+74951234567")),
        ("+74951234567", e164("+74951234567")),
        ("84951234567", e164("+74951234567")),
        ("74951234567", e164("+74951234567")),
        ("8 (495) 123 45 67", e164("+74951234567")),
        ("8-495-123-45-67", e164("+74951234567")),
        ("(495) 123-45-67", e164("+74951234567")),
        ("4951234567", e164("+74951234567")),
        ("  +7 (495) 123.45.67  ", e164("+74951234567")),
        // A carrier that drops the area code.
        ("1234567", e164("+74951234567")),
        ("123-45-67", e164("+74951234567")),
        // Mobiles, another area.
        ("+7(916)123-45-67", e164("+79161234567")),
        ("89161234567", e164("+79161234567")),
        ("79161234567", e164("+79161234567")),
        ("+79000000101", e164("+79000000101")),
        // Areas and codes that begin with the trunk prefix 8 (rust-phonenumber #76).
        ("8 (812) 312-45-67", e164("+78123124567")),
        ("+7 812 312-45-67", e164("+78123124567")),
        ("78123124567", e164("+78123124567")),
        ("8 800 555-35-35", e164("+78005553535")),
        ("+78005553535", e164("+78005553535")),
        // Abroad.
        ("00 44 20 7946 0958", e164("+442079460958")),
        ("+44 20 7946 0958", e164("+442079460958")),
        ("810 44 20 7946 0958", e164("+442079460958")),
        ("+1 (212) 555-0123", e164("+12125550123")),
        ("+375 17 123-45-67", e164("+375171234567")),
        // Internal extensions stay as they are.
        ("101", Ok(Number::Internal("101".into()))),
        ("6100", Ok(Number::Internal("6100".into()))),
        // Garbage is refused, with the reason.
        ("", Err(NumberError::Empty)),
        ("  ", Err(NumberError::Empty)),
        ("+", Err(NumberError::Empty)),
        (
            "anonymous",
            Err(NumberError::NotANumber("anonymous".into())),
        ),
        ("12ab34", Err(NumberError::NotANumber("12ab34".into()))),
        ("+7+495", Err(NumberError::NotANumber("+7+495".into()))),
        ("12345", Err(NumberError::Invalid("12345".into()))),
        ("+7 123", Err(NumberError::Invalid("+7 123".into()))),
        (
            "849512345678901",
            Err(NumberError::Invalid("849512345678901".into())),
        ),
    ];
    let mut wrong = Vec::new();
    for (input, expected) in table {
        let got = plan().normalise(input);
        if &got != expected {
            wrong.push(format!("{input:?}: got {got:?}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
