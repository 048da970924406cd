//! How loud a piece of audio is, in dBFS, for the recorder's silence rule.
//!
//! RMS level relative to full scale (a full-scale square wave is 0 dBFS; a full-scale sine
//! about -3 dBFS). Telephone line noise sits around -60 to -50 dBFS, speech at -30 to -10,
//! so a threshold near -45 dBFS separates them on most lines.

/// The RMS level of `pcm` in dBFS; minus infinity for digital silence or no samples.
pub(super) fn level_dbfs(pcm: &[i16]) -> f64 {
    if pcm.is_empty() {
        return f64::NEG_INFINITY;
    }
    let energy: f64 = pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (energy / pcm.len() as f64).sqrt();
    20.0 * (rms / 32_768.0).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_relative_to_full_scale() {
        assert_eq!(level_dbfs(&[]), f64::NEG_INFINITY);
        assert_eq!(level_dbfs(&[0; 160]), f64::NEG_INFINITY);
        let full: Vec<i16> = (0..160)
            .map(|i| if i % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        assert!(level_dbfs(&full).abs() < 0.01);
        let sine: Vec<i16> = (0..160)
            .map(|i| (f64::sin(i as f64 * std::f64::consts::TAU / 20.0) * 32_767.0) as i16)
            .collect();
        assert!((level_dbfs(&sine) + 3.01).abs() < 0.05);
        assert!((level_dbfs(&[328; 160]) + 40.0).abs() < 0.05);
    }
}
