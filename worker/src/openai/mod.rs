//! The OpenAI-compatible API that the worker (`serve`) and the gateway both speak: the
//! generation endpoints, the request and response bodies, errors in OpenAI's shape, and the
//! server-sent events a streaming answer travels in.
//!
//! The gateway forwards a request body to a worker unchanged, so both read it with the same
//! [`Endpoint::parse`]: a body the worker would refuse, the gateway refuses the same way
//! before dispatching it. [`request`] says what is read, what is refused and why.

mod endpoint;
mod error;
mod reply;
mod request;
pub mod sse;
mod types;

pub use endpoint::{Endpoint, GenerationBody, Input};
pub use error::ApiError;
pub use reply::Reply;
pub use types::{ChatMessageIn, GenerationOptions, ModelCard, ModelList, ReceiptOut, Usage};
