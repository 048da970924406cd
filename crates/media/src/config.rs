//! What the media layer is told by the PBX's configuration, and the checks that keep a bad
//! value from surfacing later as a failed call.

use crate::MediaError;
use std::net::IpAddr;
use std::time::Duration;

/// Where and how the PBX relays media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// The local address the RTP sockets are bound to (`0.0.0.0` for every interface).
    pub bind_ip: IpAddr,
    /// The address written into SDP: the one phones can reach the PBX at (a public address
    /// when the PBX sits behind a 1:1 NAT).
    pub advertise_ip: IpAddr,
    /// First port of the RTP range; an odd value is rounded up, since RTP takes even ports.
    pub port_min: u16,
    /// Last port of the range (an RTCP port may be this one).
    pub port_max: u16,
    /// A call with no RTP from either leg for this long is reported by [`crate::Bridge::inactive`].
    pub inactivity_timeout: Duration,
}

impl MediaConfig {
    /// Default first port of the RTP range.
    pub const DEFAULT_PORT_MIN: u16 = 20000;
    /// Default last port of the RTP range.
    pub const DEFAULT_PORT_MAX: u16 = 29999;
    /// Default inactivity timeout (the PBX configuration's `rtp_timeout_secs` default).
    pub const DEFAULT_INACTIVITY_TIMEOUT: Duration = Duration::from_secs(60);

    /// A configuration with the default port range and timeout; only the addresses have no
    /// sensible default.
    pub fn new(bind_ip: IpAddr, advertise_ip: IpAddr) -> MediaConfig {
        MediaConfig {
            bind_ip,
            advertise_ip,
            port_min: Self::DEFAULT_PORT_MIN,
            port_max: Self::DEFAULT_PORT_MAX,
            inactivity_timeout: Self::DEFAULT_INACTIVITY_TIMEOUT,
        }
    }

    /// Checks the values and returns the RTP port pairs the range holds.
    pub(crate) fn validate(&self) -> Result<PortRange, MediaError> {
        let invalid = |reason| MediaError::InvalidPortRange {
            min: self.port_min,
            max: self.port_max,
            reason,
        };
        if self.port_min == 0 {
            return Err(invalid("port 0 is not a port"));
        }
        if self.port_min > self.port_max {
            return Err(invalid("the first port is above the last"));
        }
        let first = u32::from(self.port_min).next_multiple_of(2);
        let ports = (u32::from(self.port_max) + 1).saturating_sub(first);
        let pairs = ports / 2;
        if pairs < 2 {
            return Err(invalid(
                "a call needs two even/odd port pairs (four ports from an even one)",
            ));
        }
        if self.inactivity_timeout.is_zero() {
            return Err(MediaError::ZeroInactivityTimeout);
        }
        if self.advertise_ip.is_unspecified() {
            return Err(MediaError::UnspecifiedAdvertiseIp(self.advertise_ip));
        }
        Ok(PortRange {
            // `first` is at most port_max - 3 here, so it fits.
            first: first as u16,
            pairs: pairs as usize,
        })
    }
}

/// The usable part of a configured range: `pairs` even/odd pairs from the even `first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PortRange {
    pub first: u16,
    pub pairs: usize,
}

impl PortRange {
    /// The RTP (even) port of pair `index`; RTCP is the next one.
    pub fn rtp_port(&self, index: usize) -> u16 {
        // index < pairs, and the last pair's RTCP port is within the u16 range.
        self.first + 2 * index as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn config(min: u16, max: u16) -> MediaConfig {
        MediaConfig {
            port_min: min,
            port_max: max,
            ..MediaConfig::new(Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into())
        }
    }

    #[test]
    fn the_default_range_holds_5000_pairs() {
        let range = config(20000, 29999).validate().unwrap();
        assert_eq!(
            range,
            PortRange {
                first: 20000,
                pairs: 5000
            }
        );
        assert_eq!(range.rtp_port(4999), 29998);
    }

    #[test]
    fn an_odd_start_is_rounded_up_to_even() {
        let range = config(20001, 20008).validate().unwrap();
        assert_eq!(
            range,
            PortRange {
                first: 20002,
                pairs: 3
            }
        );
    }

    #[test]
    fn the_top_of_the_port_space_is_usable() {
        let range = config(65532, 65535).validate().unwrap();
        assert_eq!(
            range,
            PortRange {
                first: 65532,
                pairs: 2
            }
        );
        assert_eq!(range.rtp_port(1) + 1, 65535);
    }

    #[test]
    fn ranges_too_small_for_one_call_are_refused() {
        for (min, max) in [
            (20000, 20002),
            (20001, 20004),
            (20000, 19999),
            (0, 100),
            (65535, 65535),
        ] {
            let err = config(min, max).validate().unwrap_err();
            assert!(
                matches!(err, MediaError::InvalidPortRange { .. }),
                "{min}-{max}: {err}"
            );
        }
    }

    #[test]
    fn zero_timeout_and_unspecified_address_are_refused() {
        let mut zero = config(20000, 20003);
        zero.inactivity_timeout = Duration::ZERO;
        assert!(matches!(
            zero.validate(),
            Err(MediaError::ZeroInactivityTimeout)
        ));

        let mut any = config(20000, 20003);
        any.advertise_ip = Ipv4Addr::UNSPECIFIED.into();
        assert!(matches!(
            any.validate(),
            Err(MediaError::UnspecifiedAdvertiseIp(_))
        ));
    }
}
