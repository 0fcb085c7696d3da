//! `ail2-worker gateway`: the OpenAI-compatible front door of the worker network.
//!
//! A request goes through, in order:
//! 1. [`handlers`]: `Authorization: Bearer <API key>` names a configured key ([`config`]):
//!    the payer it spends for, its rate limit ([`ratelimit`]) and the most one request may
//!    cost; the body must parse as the worker would parse it, name an active model, and the
//!    key must afford that model's cheapest request;
//! 2. [`proxy`]: the model's router ([`registry`], whitepaper chapter 5) picks a worker; the
//!    gateway signs the payer's authorisation for that worker with the gateway key the payer
//!    registered on chain, with a counter above every earlier one for that (worker, payer),
//!    and forwards the body unchanged;
//! 3. [`receipt`]: the worker's receipt is checked (both signatures, the authorised terms,
//!    the price by the model's billing function, the answer's token counts) before the
//!    answer is passed on; a streamed answer is passed on event by event by the [`relay`];
//! 4. a worker that fails or times out before answering, or refuses the authorisation, is
//!    replaced by the router's next choice, once; the outcome of every attempt teaches the
//!    router;
//! 5. [`risk`]: each worker's risk score (§8.2) from the chain's violations and reputation
//!    and the gateway's own observations sets its handling level: normal, more verification
//!    (its transcripts are checked against its receipts' commitments), a limited share of
//!    its requests, or excluded.
//!
//! Invariants:
//! - An answer reaches the client as paid only with a receipt the payer's chain will pay;
//!   a bad receipt is the worker's failure, and is never charged to the key.
//! - An authorisation is never sent twice: each attempt signs a new one with a new counter.
//! - The key's spending counts exactly the verified receipts.

pub mod config;
mod handlers;
pub mod metrics;
mod proxy;
pub mod ratelimit;
mod receipt;
pub mod registry;
mod relay;
pub mod risk;
mod state;

pub use handlers::router;
pub use proxy::WORKER_HEADER;
pub use receipt::{verify_receipt, ReceiptRejected};
pub use state::{GatewayState, Settings};
