//! `ail2-worker bench-receipts`: receipts signed and persisted per second, and batch build
//! time, through the same group-commit path `serve` uses.

use std::{sync::Arc, time::Instant};

use ail2_primitives::{
	keccak256,
	receipt::{signing::Keypair, Receipt, SemVer, SignedReceipt},
};
use ail2_worker::store::{ReceiptLog, Store};
use anyhow::anyhow;
use clap::Args;

use super::GlobalArgs;

#[derive(Args)]
pub struct BenchReceiptsCommand {
	/// Receipts to sign and persist.
	#[arg(long, default_value_t = 100_000)]
	count: u64,
}

/// Receipts awaited at once before the next are queued.
const IN_FLIGHT: usize = 8192;

impl BenchReceiptsCommand {
	/// Signs and persists the receipts in a scratch store under the data dir, then builds one
	/// Merkle-sum tree over them.
	pub async fn run(self, global: &GlobalArgs) -> anyhow::Result<()> {
		let count = self.count;
		let dir = &global.data_dir;
		std::fs::create_dir_all(dir)?;
		let path = dir.join(format!("bench-{}.redb", std::process::id()));
		let store = Arc::new(Store::open(&path)?);
		let log = ReceiptLog::start(store.clone(), 4096)?;
		let worker = Keypair::from_secret(&[7u8; 32]).map_err(|_| anyhow!("bench key"))?;
		let payer = [9u8; 32];
		let started = Instant::now();
		let mut tasks = tokio::task::JoinSet::new();
		for counter in 1..=count {
			let log = log.clone();
			let worker = worker.clone();
			tasks.spawn(async move {
				let receipt = Receipt {
					project_id: 0,
					model_id: 1,
					version: SemVer { major: 1, minor: 0, patch: 0 },
					timestamp_ms: 1_790_000_000_000,
					tokens_in: 100,
					tokens_out: 40,
					gpu_ms: 250,
					bytes_in: 400,
					bytes_out: 160,
					price: 1_000,
					chain_id: 42,
					route_id: keccak256(&counter.to_le_bytes()),
					counter,
					node_pubkey: worker.public(),
					payer,
					policy_hash: [0u8; 32],
					max_price: 2_000,
					expires_at_ms: 1_790_000_060_000,
					transcript: ail2_primitives::transcript::no_transcript(),
				};
				let signed = SignedReceipt {
					node_signature: worker.sign(&receipt.message()),
					gateway_signature: [0u8; 65],
					receipt,
				};
				log.persist(signed, None).await
			});
			if tasks.len() >= IN_FLIGHT {
				while let Some(done) = tasks.join_next().await {
					done??;
				}
			}
		}
		while let Some(done) = tasks.join_next().await {
			done??;
		}
		let persisted = started.elapsed();
		println!(
			"{count} receipts signed and persisted in {:.2} s: {:.0} receipts/s",
			persisted.as_secs_f64(),
			count as f64 / persisted.as_secs_f64()
		);
		let started = Instant::now();
		let stream = (1, SemVer { major: 1, minor: 0, patch: 0 });
		let closed = store.close_batch(&payer, stream, usize::MAX, 0)?;
		println!(
			"batch of {} receipts (read, tree, record) built in {:.3} s",
			closed.map_or(0, |(_, record)| record.count),
			started.elapsed().as_secs_f64()
		);
		drop(log);
		std::fs::remove_file(&path).ok();
		Ok(())
	}
}
