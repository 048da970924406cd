//! The RTP timeout: after silence, never while ringing, flowing or held.

use crate::common::*;
use sb_media::{Leg, SdpKind};
use std::time::Duration;
use tokio::time::{timeout, Instant};

const TIMEOUT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn silence_after_the_answer_ends_the_call() {
    let media = media(30800, 4, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let answered = Instant::now();
    let (_caller, _callee) = call(&bridge).await;
    timeout(ARRIVAL, bridge.inactive())
        .await
        .expect("never timed out");
    let waited = answered.elapsed();
    assert!(waited >= TIMEOUT && waited < TIMEOUT * 3, "{waited:?}");
}

#[tokio::test]
async fn a_ringing_call_is_not_timed_out() {
    let media = media(30810, 4, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let caller = Phone::new().await;
    bridge
        .rewrite(Leg::Caller, SdpKind::Offer, caller.sdp("").as_bytes())
        .unwrap();
    assert!(timeout(TIMEOUT * 3, bridge.inactive()).await.is_err());
}

#[tokio::test]
async fn flowing_rtp_keeps_the_call_up_and_its_end_ends_it() {
    let media = media(30820, 4, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;
    let talking = async {
        for seq in 0..25 {
            caller
                .rtp
                .send_to(&rtp(seq), pbx_rtp(&bridge, Leg::Caller))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    };
    tokio::select! {
        () = bridge.inactive() => panic!("timed out while RTP was flowing"),
        () = talking => {}
    }
    let stopped = Instant::now();
    timeout(ARRIVAL, bridge.inactive())
        .await
        .expect("never timed out");
    assert!(stopped.elapsed() < TIMEOUT * 2, "{:?}", stopped.elapsed());
    assert_eq!(bridge.stats().caller.rtp_packets, 25);
    drop(callee);
}

#[tokio::test]
async fn a_call_held_inactive_is_not_timed_out_and_resumes_the_clock() {
    let media = media(30830, 4, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;
    hold(
        &bridge,
        &caller,
        &callee,
        "a=inactive\r\n",
        "a=inactive\r\n",
    );
    assert!(timeout(TIMEOUT * 4, bridge.inactive()).await.is_err());

    let resumed = Instant::now();
    hold(&bridge, &caller, &callee, "", "");
    timeout(ARRIVAL, bridge.inactive())
        .await
        .expect("never timed out");
    assert!(resumed.elapsed() >= TIMEOUT, "{:?}", resumed.elapsed());
}

#[tokio::test]
async fn a_call_held_sendonly_is_not_timed_out() {
    let media = media(30840, 4, TIMEOUT);
    let bridge = media.open_bridge().await.unwrap();
    let (caller, callee) = call(&bridge).await;
    hold(
        &bridge,
        &caller,
        &callee,
        "a=sendonly\r\n",
        "a=recvonly\r\n",
    );
    assert!(timeout(TIMEOUT * 4, bridge.inactive()).await.is_err());
}

/// A re-INVITE from the caller with `offer_extra`, answered with `answer_extra`.
fn hold(
    bridge: &sb_media::Bridge,
    caller: &Phone,
    callee: &Phone,
    offer_extra: &str,
    answer_extra: &str,
) {
    bridge
        .rewrite(
            Leg::Caller,
            SdpKind::Offer,
            caller.sdp(offer_extra).as_bytes(),
        )
        .unwrap();
    bridge
        .rewrite(
            Leg::Callee,
            SdpKind::Answer,
            callee.sdp(answer_extra).as_bytes(),
        )
        .unwrap();
}
