//! Ports: taken from the range, given back, and refused when there are none.

use crate::common::*;
use sb_media::{Leg, Media, MediaConfig, MediaError};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn each_bridge_takes_two_even_odd_pairs_from_the_range() {
    let media = media(30001, 13, TIMEOUT); // 30001-30013: pairs from 30002
    let first = media.open_bridge().await.unwrap();
    let second = media.open_bridge().await.unwrap();
    let third = media.open_bridge().await.unwrap();
    assert_eq!(media.ports_in_use(), 12);
    let mut ports: Vec<u16> = [&first, &second, &third]
        .iter()
        .flat_map(|bridge| {
            [
                bridge.local_port(Leg::Caller),
                bridge.local_port(Leg::Callee),
            ]
        })
        .collect();
    ports.sort();
    assert_eq!(ports, [30002, 30004, 30006, 30008, 30010, 30012]);
}

#[tokio::test]
async fn a_full_range_is_refused_until_a_bridge_is_dropped() {
    let media = media(30020, 8, TIMEOUT);
    let first = media.open_bridge().await.unwrap();
    let second = media.open_bridge().await.unwrap();
    let refused = media.open_bridge().await.unwrap_err();
    assert!(
        matches!(
            refused,
            MediaError::Exhausted {
                min: 30020,
                max: 30027
            }
        ),
        "{refused}"
    );
    assert_eq!(media.ports_in_use(), 8);

    let ports = (first.local_port(Leg::Caller), first.local_port(Leg::Callee));
    drop(first);
    eventually(|| media.ports_in_use() == 4).await;
    let reopened = media.open_bridge().await.unwrap();
    assert_eq!(
        (
            reopened.local_port(Leg::Caller),
            reopened.local_port(Leg::Callee)
        ),
        ports
    );
    drop((second, reopened));
    eventually(|| media.ports_in_use() == 0).await;
}

#[tokio::test]
async fn a_failed_open_gives_back_the_pair_it_took() {
    let media = media(30040, 6, TIMEOUT); // three pairs: one call, and one pair over
    let _call = media.open_bridge().await.unwrap();
    assert!(matches!(
        media.open_bridge().await,
        Err(MediaError::Exhausted { .. })
    ));
    assert_eq!(media.ports_in_use(), 4);
}

#[tokio::test]
async fn ports_other_programs_hold_are_skipped() {
    let media = media(30060, 8, TIMEOUT);
    let squatter = std::net::UdpSocket::bind((LOCALHOST, 30063)).unwrap();
    let bridge = media.open_bridge().await.unwrap();
    assert_eq!(
        (
            bridge.local_port(Leg::Caller),
            bridge.local_port(Leg::Callee)
        ),
        (30060, 30064)
    );
    assert!(matches!(
        media.open_bridge().await,
        Err(MediaError::Exhausted { .. })
    ));
    drop(squatter);
}

#[tokio::test]
async fn a_bind_address_that_is_not_local_is_reported() {
    let media = Media::new(MediaConfig {
        port_min: 30080,
        port_max: 30083,
        ..MediaConfig::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), LOCALHOST)
    })
    .unwrap();
    let err = media.open_bridge().await.unwrap_err();
    assert!(matches!(err, MediaError::Bind { .. }), "{err}");
    assert_eq!(media.ports_in_use(), 0);
}

#[test]
fn configurations_that_cannot_carry_a_call_are_refused() {
    let config = |min, max| MediaConfig {
        port_min: min,
        port_max: max,
        ..MediaConfig::new(LOCALHOST, LOCALHOST)
    };
    assert!(Media::new(config(30100, 30103)).is_ok());
    assert!(matches!(
        Media::new(config(30101, 30104)),
        Err(MediaError::InvalidPortRange { .. })
    ));
    let no_timeout = MediaConfig {
        inactivity_timeout: Duration::ZERO,
        ..config(30100, 30103)
    };
    assert!(matches!(
        Media::new(no_timeout),
        Err(MediaError::ZeroInactivityTimeout)
    ));
}

#[tokio::test]
async fn bridges_can_be_shared_and_awaited_from_spawned_tasks() {
    fn shareable<T: Send + Sync>(_: &T) {}
    fn sendable<T: Send>(_: &T) {}
    let media = media(30120, 4, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    shareable(&media);
    shareable(&bridge);
    sendable(&bridge.inactive());
    sendable(&media.open_bridge());
}
