//! Signal levels in dBm0, the unit telephone standards give tone levels in, and their size in
//! the 16-bit linear PCM the media layer works on.
//!
//! G.711 puts its largest sine at +3.14 dBm0 (A-law; +3.17 for µ-law), and a 16-bit sample
//! decoded from G.711 spans the same range as the 13/14-bit code, scaled up; so a sine at
//! full 16-bit scale is +3.14 dBm0. That is the convention of spandsp and most soft PBXs.

/// The level of a full-scale (peak 32767) sine.
#[allow(clippy::approx_constant, reason = "G.711's +3.14 dBm0, not π")]
const FULL_SCALE_DBM0: f64 = 3.14;

/// The peak amplitude, in 16-bit PCM, of a sine at `dbm0`; levels above full scale give full
/// scale.
pub fn dbm0_amplitude(dbm0: f64) -> i16 {
    // In range after the clamp, so the cast only rounds.
    dbm0_peak(dbm0).round().clamp(0.0, 32767.0) as i16
}

/// The exact peak of a sine at `dbm0`, for generators that keep it unrounded.
pub(crate) fn dbm0_peak(dbm0: f64) -> f64 {
    32767.0 * 10f64.powf((dbm0 - FULL_SCALE_DBM0) / 20.0)
}

/// The mean power (mean of the squared samples) of a sine at `dbm0`: what a level threshold
/// compares a measured power with.
pub(crate) fn dbm0_power(dbm0: f64) -> f64 {
    dbm0_peak(dbm0).powi(2) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_is_plus_3_14_dbm0() {
        assert_eq!(dbm0_amplitude(FULL_SCALE_DBM0), 32767);
        assert_eq!(dbm0_amplitude(10.0), 32767);
    }

    #[test]
    fn zero_dbm0_is_the_digital_milliwatt() {
        // 32767 * 10^(-3.14/20) = 22826.4
        assert_eq!(dbm0_amplitude(0.0), 22826);
        assert!((dbm0_power(0.0) / (22_826.360_987_867f64.powi(2) / 2.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn six_db_halves_the_amplitude() {
        let a = f64::from(dbm0_amplitude(-13.0));
        let b = f64::from(dbm0_amplitude(-19.0206));
        assert!((a / b - 2.0).abs() < 1e-3, "{a} {b}");
        assert!((dbm0_power(-13.0) / dbm0_power(-16.0103) - 2.0).abs() < 1e-3);
    }
}
