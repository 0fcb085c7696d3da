//! `ail2-worker serve`: the OpenAI-compatible HTTP API in front of one model.
//!
//! A completion or chat completion goes through, in order:
//! 1. [`handlers`]: the body is read and checked field by field
//!    ([`Endpoint::parse`](crate::openai::Endpoint::parse): a value out of range or a field
//!    not implemented is a 400 naming it) and the prompt tokenised;
//! 2. [`generation`]: the request must name the served model and its prompt fit the limits
//!    and the model's context;
//! 3. [`auth`]: the payer gateway's authorisation must be for this worker's receipt key,
//!    chain, model and version, unexpired, and signed by a gateway key the payer registered
//!    on chain and that is active now;
//! 4. [`billing`]: the authorisation's counter is reserved and must be unused and above the
//!    payer's batched counters; the completion is cut to what `max_price` pays for;
//! 5. [`admission`]: the request takes one of `concurrency + queue` places or is answered
//!    429, then waits for one of `concurrency` model slots;
//! 6. [`generation`]: the model runs on the blocking pool; a stream gets each piece as it is
//!    generated;
//! 7. [`billing`]: the receipt is priced by the model's policy, signed with the receipt key
//!    and persisted; only then does the response (or the stream's last event) carry it.
//!
//! [`batches`] serves the challengers: a closed batch's leaves and inclusion proofs;
//! [`transcripts`] serves a payer the inference transcript behind each of its receipts, which
//! its receipt commits to (proof of inference, [`crate::poi`]).
//!
//! Invariants:
//! - A response carries a receipt only once the receipt and its transcript are durably
//!   stored, so whatever a client was shown can be batched, billed and verified after a crash.
//! - A request refused before generation (any 4xx) leaves no receipt.
//! - A counter is reserved from its check until its receipt is persisted or the request
//!   fails, so no batch closes past a counter in flight; the store refuses a counter used
//!   twice.
//! - A receipt outside the authorised price or time is never signed.
//! - A model slot and an admission place are held exactly as long as the generation runs;
//!   a streaming client that goes away stops its generation at the next piece, and what was
//!   generated is still billed.

mod admission;
pub mod auth;
mod batches;
mod billing;
mod generation;
mod handlers;
pub mod health;
pub mod metrics;
mod state;
pub mod transcripts;

pub use handlers::router;
pub use health::Health;
pub use state::{AppState, Limits, ServedModel};
