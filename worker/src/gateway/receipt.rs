//! The check of a worker's receipt before its answer reaches the client: a receipt the
//! payer would not pay (other terms, a forged signature, a price the model's billing
//! function does not give) is never passed on as payable.

use ail2_chain::RegisteredModel;
use ail2_primitives::{
	billing::{receipt_price, Usage},
	receipt::{Authorisation, Signature, SignedReceipt},
	Balance,
};
use codec::Decode;
use serde_json::Value;

/// Why a receipt was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptRejected {
	#[error("the answer carries no receipt")]
	Missing,
	#[error("the receipt is not hex")]
	NotHex,
	#[error("the receipt does not decode")]
	Undecodable,
	#[error("it does not repeat the authorised terms")]
	OtherTerms,
	#[error("it does not carry this gateway's signature")]
	OtherGatewaySignature,
	#[error("the worker's signature is invalid")]
	InvalidWorkerSignature,
	#[error("it quotes another pricing policy")]
	OtherPolicy,
	#[error("price {quoted} differs from the model's {expected}")]
	WrongPrice { quoted: Balance, expected: Balance },
	#[error("it exceeds the authorised price or time")]
	OutsideTerms,
	#[error("its token counts differ from the answer's")]
	OtherUsage,
}

/// Checks a worker's receipt (`{"scale": "0x…", …}`) against what the gateway authorised:
/// the terms it repeats, both signatures, the model's policy hash, and its price recomputed
/// from its usage by the model's billing function (and that usage against the answer's
/// `(prompt_tokens, completion_tokens)`).
pub fn verify_receipt(
	receipt: Option<&Value>,
	authorisation: &Authorisation,
	gateway_signature: &Signature,
	model: &RegisteredModel,
	answer_usage: Option<(u32, u32)>,
) -> Result<SignedReceipt, ReceiptRejected> {
	let scale = receipt
		.and_then(|r| r.get("scale"))
		.and_then(Value::as_str)
		.ok_or(ReceiptRejected::Missing)?;
	let bytes = hex::decode(scale.trim_start_matches("0x")).map_err(|_| ReceiptRejected::NotHex)?;
	let signed =
		SignedReceipt::decode(&mut bytes.as_slice()).map_err(|_| ReceiptRejected::Undecodable)?;
	let receipt = &signed.receipt;
	if receipt.authorisation() != *authorisation {
		return Err(ReceiptRejected::OtherTerms);
	}
	if signed.gateway_signature != *gateway_signature {
		return Err(ReceiptRejected::OtherGatewaySignature);
	}
	if !signed.node_signature_valid() {
		return Err(ReceiptRejected::InvalidWorkerSignature);
	}
	if receipt.policy_hash != model.pricing.policy_hash {
		return Err(ReceiptRejected::OtherPolicy);
	}
	let usage = Usage {
		tokens_in: receipt.tokens_in,
		tokens_out: receipt.tokens_out,
		gpu_ms: receipt.gpu_ms,
	};
	let expected = receipt_price(&model.pricing.policy, &usage);
	if receipt.price != expected {
		return Err(ReceiptRejected::WrongPrice { quoted: receipt.price, expected });
	}
	if !receipt.within_authorised_terms() {
		return Err(ReceiptRejected::OutsideTerms);
	}
	if answer_usage.is_some_and(|counts| counts != (receipt.tokens_in, receipt.tokens_out)) {
		return Err(ReceiptRejected::OtherUsage);
	}
	Ok(signed)
}
