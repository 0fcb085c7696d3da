//! The issuance schedule against the checked-in vectors written by the independent Python
//! implementation (`primitives/reference/issuance.py`, exact fractions), and its invariants
//! over random fee streams.

#![allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]

use ail2_primitives::issuance::{
	batch_of, daily_minimum, fees_to_fill, subsidy_for_fees, subsidy_share, subsidy_total,
	BatchMint, BATCH_SIZE, MINTABLE,
};
use proptest::prelude::*;
use serde_json::Value;

fn vectors() -> Value {
	serde_json::from_str(include_str!("issuance_vectors.json")).unwrap()
}

fn units(value: &Value) -> u128 {
	value.as_str().unwrap().parse().unwrap()
}

#[test]
fn the_table_and_the_daily_minima_match_the_reference() {
	let vectors = vectors();
	for row in vectors["table"].as_array().unwrap() {
		let batch = row["batch"].as_u64().unwrap() as u32;
		let (numerator, denominator) = subsidy_share(batch).unwrap();
		// The reference's fraction is in lowest terms; ours is 9·4^(b−1) / (2·5^b).
		assert_eq!(
			numerator * u128::from(row["share_denominator"].as_u64().unwrap()),
			denominator * u128::from(row["share_numerator"].as_u64().unwrap()),
			"batch {batch}"
		);
		assert_eq!(fees_to_fill(batch).unwrap(), units(&row["fees_to_fill"]), "batch {batch}");
	}
	for row in vectors["daily_minimum"].as_array().unwrap() {
		let year = row["year"].as_u64().unwrap() as u32;
		assert_eq!(daily_minimum(year).unwrap(), units(&row["units"]), "year {year}");
	}
}

#[test]
fn mints_match_the_reference_to_the_unit() {
	let vectors = vectors();
	let mints = vectors["mints"].as_array().unwrap();
	assert!(mints.len() > 60);
	for case in mints {
		let (minted, fees) = (units(&case["minted"]), units(&case["fees"]));
		let expected: Vec<BatchMint> = case["parts"]
			.as_array()
			.unwrap()
			.iter()
			.map(|part| BatchMint {
				batch: part[0].as_u64().unwrap() as u32,
				fees: units(&part[1]),
				minted: units(&part[2]),
			})
			.collect();
		assert_eq!(subsidy_for_fees(minted, fees), expected, "{minted} minted, {fees} fees");
	}
	// The stream from nothing reaches the cap and stops there.
	let mut minted = 0u128;
	for step in vectors["stream"].as_array().unwrap() {
		minted += subsidy_total(&subsidy_for_fees(minted, units(&step[0])));
		assert_eq!(minted, units(&step[1]));
	}
	assert_eq!(minted, MINTABLE);
}

proptest! {
	#[test]
	fn random_fee_streams_never_pass_the_cap_and_account_for_every_unit(
		fees in prop::collection::vec(0u128..300_000_000 * 1_000_000_000_000, 1..80),
		start in 0u128..MINTABLE,
	) {
		let mut minted = start;
		for fee in fees {
			let parts = subsidy_for_fees(minted, fee);
			let total = subsidy_total(&parts);
			// Batches in order, one part each, every part within its batch.
			for pair in parts.windows(2) {
				prop_assert_eq!(pair[1].batch, pair[0].batch + 1);
			}
			let mut at = minted;
			for part in &parts {
				prop_assert_eq!(batch_of(at), Some(part.batch));
				at += part.minted;
				prop_assert!(at <= BATCH_SIZE * u128::from(part.batch));
				// Never more than the batch's rate allows for the part's fees.
				let (n, d) = subsidy_share(part.batch).unwrap();
				prop_assert!(part.minted <= part.fees * n / (d - n));
			}
			// The fees are used whole unless the cap is reached.
			let used: u128 = parts.iter().map(|p| p.fees).sum();
			if minted + total < MINTABLE {
				prop_assert_eq!(used, fee);
			} else {
				prop_assert!(used <= fee);
			}
			minted += total;
			// Genesis allocates the other 400M, so this is the supply never being passed.
			prop_assert!(minted <= MINTABLE);
		}
	}
}
