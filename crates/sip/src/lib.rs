//! Switchboard's SIP layer on rsipstack: the registrar (digest authentication, location
//! service) and the back-to-back user agent that connects calls with anchored media.
//!
//! Decisions that need no sockets live in plain modules ([`location`], [`routing`],
//! [`digest`]) and are unit-tested; the rest is the thin shell that feeds them.

mod auth;
mod call;
mod clock;
pub mod digest;
pub mod location;
mod mailbox;
mod missed;
mod mwi;
mod plan;
mod presence;
mod queue;
mod registrar;
pub mod routing;
mod scenario;
mod server;
pub mod validate;

pub use clock::PbxClock;
pub use missed::{TaskEvent, TaskEvents, TASK_EVENT_CAPACITY};
pub use mwi::{CountsError, CountsFuture, MailboxCounts, MessageCounts, Mwi, NoMailboxes};
pub use plan::{check_plan, PlanError, Voice, HOLD_CLASS};
pub use queue::{AgentView, QueueCallerView, QueueView, QueuesView};
pub use server::{
    IcmBuilder, LiveConfig, Registration, ScheduleState, SipError, SipServer, SipSettings,
    SipStatus,
};
