//! The worker's embedded store (redb): every acknowledged receipt with the inference
//! transcript it commits to, which are still waiting for a batch, and the batches with their
//! settlement state.
//!
//! A receipt is committed (fsync) before the HTTP response that carries it is sent. Writers
//! hand receipts to [`ReceiptLog`], which commits them in groups: one fsync acknowledges
//! every receipt queued meanwhile, which is what makes thousands of receipts per second
//! durable.

use std::{
	collections::{BTreeMap, HashMap},
	path::Path,
	sync::{Arc, Mutex},
};

use ail2_primitives::{
	keccak256,
	merkle::MerkleSumTree,
	receipt::{AccountBytes, SemVer, SignedReceipt},
	transcript::Transcript,
	Balance, Counter, Hash, ModelId,
};
use codec::{Decode, Encode};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use tokio::sync::{mpsc, oneshot};

/// `payer ‖ counter (big-endian)` → SCALE(SignedReceipt). Sorted by payer, then counter.
const RECEIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("receipts");
/// Same keys as `RECEIPTS` → SCALE(Transcript), for the receipts a transcript backs; written
/// in the receipt's transaction and removed with it.
const TRANSCRIPTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("transcripts");
/// Keys of `RECEIPTS` not yet in a batch.
const PENDING: TableDefinition<&[u8], ()> = TableDefinition::new("pending");
/// Per payer: the last counter already in a batch; lower counters are refused.
const BATCHED_UP_TO: TableDefinition<&[u8], u64> = TableDefinition::new("batched_up_to");
/// Local batch id → SCALE(BatchRecord).
const BATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("batches");
/// The chain's batch id → local batch id, for the batches proposed on chain.
const BY_CHAIN_ID: TableDefinition<u64, u64> = TableDefinition::new("batches_by_chain_id");
/// A batch's `content_hash` (keccak256 of its leaf file) → local batch id: the leaf file's
/// address, known before the chain assigns the batch an id.
const BY_CONTENT: TableDefinition<&[u8], u64> = TableDefinition::new("batches_by_content");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	#[error("store: {0}")]
	Db(String),
	#[error("counter {counter} of this payer was already used")]
	CounterUsed { counter: Counter },
	#[error("counter {counter} is at or below {batched}, already batched for this payer")]
	CounterBatched { counter: Counter, batched: Counter },
	#[error("stored data does not decode: {0}")]
	Corrupt(String),
	#[error("the receipt log has shut down")]
	Closed,
	#[error("cannot start the receipt log thread: {0}")]
	LogThread(std::io::Error),
}

fn db_error(e: impl std::fmt::Display) -> StoreError {
	StoreError::Db(e.to_string())
}

fn receipt_key(payer: &AccountBytes, counter: Counter) -> [u8; 40] {
	let mut key = [0u8; 40];
	key[..32].copy_from_slice(payer);
	key[32..].copy_from_slice(&counter.to_be_bytes());
	key
}

/// Where a batch is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub enum BatchState {
	/// Closed locally; not yet on chain.
	Built,
	/// `propose_batch` was included; the chain's batch id.
	Proposed { chain_batch: u64 },
	/// Paid out.
	Settled { chain_batch: u64 },
	/// Voided by a fraud proof or otherwise gone.
	Voided { chain_batch: u64 },
	/// The chain pruned the batch's record (its `PruneDelay` after it was paid or voided)
	/// before this worker saw which; the chain's events still say.
	Pruned { chain_batch: u64 },
}

impl BatchState {
	/// The chain's id of the batch, once proposed.
	pub fn chain_batch(&self) -> Option<u64> {
		match *self {
			Self::Built => None,
			Self::Proposed { chain_batch }
			| Self::Settled { chain_batch }
			| Self::Voided { chain_batch }
			| Self::Pruned { chain_batch } => Some(chain_batch),
		}
	}

	/// The state's name in the worker's batch endpoints: `built`, `proposed`, `paid` or
	/// `voided`, or `pruned` (`docs/receipts.md` §10).
	pub fn name(&self) -> &'static str {
		match self {
			Self::Built => "built",
			Self::Proposed { .. } => "proposed",
			Self::Settled { .. } => "paid",
			Self::Voided { .. } => "voided",
			Self::Pruned { .. } => "pruned",
		}
	}
}

#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct BatchRecord {
	pub payer: AccountBytes,
	pub model: ModelId,
	pub version: SemVer,
	pub first_counter: Counter,
	pub last_counter: Counter,
	pub count: u64,
	pub root_hash: Hash,
	pub total: Balance,
	/// keccak256 of the leaf file (SCALE of the receipts in order), which challengers fetch.
	pub content_hash: Hash,
	pub created_ms: u64,
	pub state: BatchState,
}

/// What [`Store::prune`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
	pub batches: u64,
	pub receipts: u64,
}

impl BatchRecord {
	/// Whether `receipt` belongs to this batch's stream: its payer, model and version. A
	/// payer's counters are one sequence across models and versions, so the counters of
	/// other streams interleave with a batch's range.
	fn holds(&self, receipt: &ail2_primitives::receipt::Receipt) -> bool {
		receipt.payer == self.payer
			&& receipt.model_id == self.model
			&& receipt.version == self.version
	}
}

/// The receipts of one stream, a payer's requests to one model version, waiting for a
/// batch. A batch is one stream: the chain pays it by that version's pricing and split.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSummary {
	pub payer: AccountBytes,
	pub model: ModelId,
	pub version: SemVer,
	pub count: u64,
	pub oldest_ms: u64,
}

pub struct Store {
	db: Database,
	/// Counters of requests being served now, per payer: a batch never closes past the
	/// lowest of them, or that request's receipt would arrive below the batched range.
	in_flight: Mutex<HashMap<AccountBytes, BTreeMap<Counter, u32>>>,
}

/// A counter held by a request being served; released when dropped.
pub struct Reservation {
	store: Arc<Store>,
	payer: AccountBytes,
	counter: Counter,
}

impl Drop for Reservation {
	fn drop(&mut self) {
		let mut in_flight = self.store.in_flight();
		if let Some(counters) = in_flight.get_mut(&self.payer) {
			if let Some(holders) = counters.get_mut(&self.counter) {
				*holders = holders.saturating_sub(1);
				if *holders == 0 {
					counters.remove(&self.counter);
				}
			}
			if counters.is_empty() {
				in_flight.remove(&self.payer);
			}
		}
	}
}

impl Store {
	pub fn open(path: &Path) -> Result<Self, StoreError> {
		let db = Database::create(path).map_err(db_error)?;
		let txn = db.begin_write().map_err(db_error)?;
		txn.open_table(RECEIPTS).map_err(db_error)?;
		txn.open_table(TRANSCRIPTS).map_err(db_error)?;
		txn.open_table(PENDING).map_err(db_error)?;
		txn.open_table(BATCHED_UP_TO).map_err(db_error)?;
		txn.open_table(BATCHES).map_err(db_error)?;
		Self::index_batches(&txn)?;
		txn.commit().map_err(db_error)?;
		Ok(Self { db, in_flight: Mutex::new(HashMap::new()) })
	}

	/// Writes the chain-id and content-hash indexes of the stored batches, once: for a store
	/// written before the indexes existed. Every batch closed since is indexed in the
	/// transaction that closes it, so an index that has entries has them all.
	fn index_batches(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
		use redb::ReadableTableMetadata;
		let batches = txn.open_table(BATCHES).map_err(db_error)?;
		let mut by_chain = txn.open_table(BY_CHAIN_ID).map_err(db_error)?;
		let mut by_content = txn.open_table(BY_CONTENT).map_err(db_error)?;
		if !by_content.is_empty().map_err(db_error)? {
			return Ok(());
		}
		for entry in batches.iter().map_err(db_error)? {
			let (id, bytes) = entry.map_err(db_error)?;
			let record = BatchRecord::decode(&mut bytes.value())
				.map_err(|e| StoreError::Corrupt(e.to_string()))?;
			by_content.insert(record.content_hash.as_slice(), id.value()).map_err(db_error)?;
			if let Some(chain_batch) = record.state.chain_batch() {
				by_chain.insert(chain_batch, id.value()).map_err(db_error)?;
			}
		}
		Ok(())
	}

	fn in_flight(
		&self,
	) -> std::sync::MutexGuard<'_, HashMap<AccountBytes, BTreeMap<Counter, u32>>> {
		crate::sync::lock(&self.in_flight)
	}

	/// Holds `counter` of `payer` while its request is served (take it before checking the
	/// counter, so no batch closes past it meanwhile).
	pub fn reserve(self: &Arc<Self>, payer: AccountBytes, counter: Counter) -> Reservation {
		*self.in_flight().entry(payer).or_default().entry(counter).or_insert(0) += 1;
		Reservation { store: self.clone(), payer, counter }
	}

	/// Whether `counter` can still be used for `payer` (cheap pre-check before serving; the
	/// append is what enforces it).
	pub fn counter_available(
		&self,
		payer: &AccountBytes,
		counter: Counter,
	) -> Result<(), StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let batched = txn.open_table(BATCHED_UP_TO).map_err(db_error)?;
		let batched = batched.get(payer.as_slice()).map_err(db_error)?.map_or(0, |v| v.value());
		if counter <= batched {
			return Err(StoreError::CounterBatched { counter, batched });
		}
		let receipts = txn.open_table(RECEIPTS).map_err(db_error)?;
		if receipts.get(receipt_key(payer, counter).as_slice()).map_err(db_error)?.is_some() {
			return Err(StoreError::CounterUsed { counter });
		}
		Ok(())
	}

	/// Appends receipts that no transcript backs (benchmarks, tests); see [`Self::append_entries`].
	pub fn append(
		&self,
		receipts: &[SignedReceipt],
	) -> Result<Vec<Result<(), StoreError>>, StoreError> {
		let entries: Vec<Entry> = receipts.iter().map(|r| (r.clone(), None)).collect();
		self.append_entries(&entries)
	}

	/// Appends receipts, each with the transcript it commits to, in one durable transaction.
	/// Each gets its own verdict: a used or already-batched counter refuses that receipt (and
	/// its transcript) only.
	pub fn append_entries(
		&self,
		entries: &[Entry],
	) -> Result<Vec<Result<(), StoreError>>, StoreError> {
		let txn = self.db.begin_write().map_err(db_error)?;
		let mut verdicts = Vec::with_capacity(entries.len());
		{
			let mut table = txn.open_table(RECEIPTS).map_err(db_error)?;
			let mut transcripts = txn.open_table(TRANSCRIPTS).map_err(db_error)?;
			let mut pending = txn.open_table(PENDING).map_err(db_error)?;
			let batched = txn.open_table(BATCHED_UP_TO).map_err(db_error)?;
			for (signed, transcript) in entries {
				let payer = signed.receipt.payer;
				let counter = signed.receipt.counter;
				let key = receipt_key(&payer, counter);
				let floor =
					batched.get(payer.as_slice()).map_err(db_error)?.map_or(0, |v| v.value());
				if counter <= floor {
					verdicts.push(Err(StoreError::CounterBatched { counter, batched: floor }));
					continue;
				}
				if table.get(key.as_slice()).map_err(db_error)?.is_some() {
					verdicts.push(Err(StoreError::CounterUsed { counter }));
					continue;
				}
				table.insert(key.as_slice(), signed.encode().as_slice()).map_err(db_error)?;
				if let Some(transcript) = transcript {
					transcripts
						.insert(key.as_slice(), transcript.encode().as_slice())
						.map_err(db_error)?;
				}
				pending.insert(key.as_slice(), ()).map_err(db_error)?;
				verdicts.push(Ok(()));
			}
		}
		txn.commit().map_err(db_error)?;
		Ok(verdicts)
	}

	/// Payers with receipts waiting, with how many and the oldest receipt's time.
	/// The streams with receipts waiting, ordered by payer, model and version.
	pub fn pending(&self) -> Result<Vec<PendingSummary>, StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let pending = txn.open_table(PENDING).map_err(db_error)?;
		let receipts = txn.open_table(RECEIPTS).map_err(db_error)?;
		let mut streams: BTreeMap<(AccountBytes, ModelId, SemVer), PendingSummary> =
			BTreeMap::new();
		for entry in pending.iter().map_err(db_error)? {
			let (key, _) = entry.map_err(db_error)?;
			let receipt = match receipts.get(key.value()).map_err(db_error)? {
				Some(bytes) => decode_receipt(bytes.value())?.receipt,
				None => return Err(StoreError::Corrupt("pending receipt missing".into())),
			};
			let (payer, model, version) = (receipt.payer, receipt.model_id, receipt.version);
			streams
				.entry((payer, model, version))
				.and_modify(|s| {
					s.count += 1;
					s.oldest_ms = s.oldest_ms.min(receipt.timestamp_ms);
				})
				.or_insert(PendingSummary {
					payer,
					model,
					version,
					count: 1,
					oldest_ms: receipt.timestamp_ms,
				});
		}
		Ok(streams.into_values().collect())
	}

	/// Closes a batch of up to `max` of the waiting receipts of `payer` for `(model,
	/// version)`, lowest counters first: builds the Merkle-sum tree and records the batch as
	/// `Built`, atomically with taking the receipts out of the waiting set.
	pub fn close_batch(
		&self,
		payer: &AccountBytes,
		(model, version): (ModelId, SemVer),
		max: usize,
		now_ms: u64,
	) -> Result<Option<(u64, BatchRecord)>, StoreError> {
		let txn = self.db.begin_write().map_err(db_error)?;
		let result = {
			let mut pending = txn.open_table(PENDING).map_err(db_error)?;
			let receipts = txn.open_table(RECEIPTS).map_err(db_error)?;
			let mut batched = txn.open_table(BATCHED_UP_TO).map_err(db_error)?;
			let mut batches = txn.open_table(BATCHES).map_err(db_error)?;
			let mut by_content = txn.open_table(BY_CONTENT).map_err(db_error)?;

			// Only below every counter still being served.
			let limit = self.in_flight().get(payer).and_then(|c| c.keys().next().copied());
			let start = receipt_key(payer, 0);
			let end =
				receipt_key(payer, limit.map_or(Counter::MAX, |lowest| lowest.saturating_sub(1)));
			let max = if limit == Some(0) { 0 } else { max };
			let mut keys = Vec::new();
			let mut members = Vec::new();
			for entry in pending.range(start.as_slice()..=end.as_slice()).map_err(db_error)? {
				if members.len() >= max {
					break;
				}
				let (key, _) = entry.map_err(db_error)?;
				let key = key.value().to_vec();
				let bytes = receipts
					.get(key.as_slice())
					.map_err(db_error)?
					.ok_or_else(|| StoreError::Corrupt("pending receipt missing".into()))?;
				let signed = decode_receipt(bytes.value())?;
				if signed.receipt.model_id == model && signed.receipt.version == version {
					members.push(signed);
					keys.push(key);
				}
			}
			match (members.first(), members.last()) {
				(Some(first), Some(last)) => {
					let tree = MerkleSumTree::from_receipts_parallel(&members)
						.map_err(|e| StoreError::Corrupt(format!("{e:?}")))?;
					let root = tree.root();
					let record = BatchRecord {
						payer: *payer,
						model,
						version,
						first_counter: first.receipt.counter,
						last_counter: last.receipt.counter,
						count: members.len() as u64,
						root_hash: root.hash,
						total: root.sum,
						content_hash: keccak256(&members.encode()),
						created_ms: now_ms,
						state: BatchState::Built,
					};
					let id = batches
						.last()
						.map_err(db_error)?
						.map_or(0, |(id, _)| id.value().saturating_add(1));
					batches.insert(id, record.encode().as_slice()).map_err(db_error)?;
					by_content.insert(record.content_hash.as_slice(), id).map_err(db_error)?;
					for key in &keys {
						pending.remove(key.as_slice()).map_err(db_error)?;
					}
					// The payer's floor: its other streams' waiting receipts below it stay
					// waiting, but no new receipt may arrive under a batched counter.
					let floor = batched
						.get(payer.as_slice())
						.map_err(db_error)?
						.map_or(0, |v| v.value())
						.max(record.last_counter);
					batched.insert(payer.as_slice(), floor).map_err(db_error)?;
					Some((id, record))
				},
				_ => None,
			}
		};
		txn.commit().map_err(db_error)?;
		Ok(result)
	}

	/// The batch the chain knows as `chain_batch`, with its local id.
	pub fn batch_by_chain_id(
		&self,
		chain_batch: u64,
	) -> Result<Option<(u64, BatchRecord)>, StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let index = txn.open_table(BY_CHAIN_ID).map_err(db_error)?;
		let id = index.get(chain_batch).map_err(db_error)?.map(|v| v.value());
		self.with_id(id)
	}

	/// The batch whose leaf file hashes to `content_hash`, with its local id.
	pub fn batch_by_content(
		&self,
		content_hash: &Hash,
	) -> Result<Option<(u64, BatchRecord)>, StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let index = txn.open_table(BY_CONTENT).map_err(db_error)?;
		let id = index.get(content_hash.as_slice()).map_err(db_error)?.map(|v| v.value());
		self.with_id(id)
	}

	/// The batch an index named, with its id.
	fn with_id(&self, id: Option<u64>) -> Result<Option<(u64, BatchRecord)>, StoreError> {
		match id {
			Some(id) => Ok(self.batch(id)?.map(|record| (id, record))),
			None => Ok(None),
		}
	}

	pub fn batch(&self, id: u64) -> Result<Option<BatchRecord>, StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let batches = txn.open_table(BATCHES).map_err(db_error)?;
		batches
			.get(id)
			.map_err(db_error)?
			.map(|bytes| {
				BatchRecord::decode(&mut bytes.value())
					.map_err(|e| StoreError::Corrupt(e.to_string()))
			})
			.transpose()
	}

	/// Every batch not yet settled or voided, oldest first.
	pub fn open_batches(&self) -> Result<Vec<(u64, BatchRecord)>, StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let batches = txn.open_table(BATCHES).map_err(db_error)?;
		let mut out = Vec::new();
		for entry in batches.iter().map_err(db_error)? {
			let (id, bytes) = entry.map_err(db_error)?;
			let record = BatchRecord::decode(&mut bytes.value())
				.map_err(|e| StoreError::Corrupt(e.to_string()))?;
			if matches!(record.state, BatchState::Built | BatchState::Proposed { .. }) {
				out.push((id.value(), record));
			}
		}
		Ok(out)
	}

	pub fn set_batch_state(&self, id: u64, state: BatchState) -> Result<(), StoreError> {
		let txn = self.db.begin_write().map_err(db_error)?;
		{
			let mut batches = txn.open_table(BATCHES).map_err(db_error)?;
			let mut record = match batches.get(id).map_err(db_error)? {
				Some(bytes) => BatchRecord::decode(&mut bytes.value())
					.map_err(|e| StoreError::Corrupt(e.to_string()))?,
				None => return Err(StoreError::Corrupt(format!("no batch {id}"))),
			};
			record.state = state;
			batches.insert(id, record.encode().as_slice()).map_err(db_error)?;
			if let Some(chain_batch) = state.chain_batch() {
				let mut by_chain = txn.open_table(BY_CHAIN_ID).map_err(db_error)?;
				by_chain.insert(chain_batch, id).map_err(db_error)?;
			}
		}
		txn.commit().map_err(db_error)
	}

	/// Forgets the batches paid or voided that were closed before `before_ms`, with their
	/// receipts. Once a batch is settled no fraud proof or dispute can reach it, and a store
	/// that kept every batch would grow, and make every batcher pass longer, for as long as
	/// the worker runs. The per-payer high-water marks stay, so the pruned counters are still
	/// refused, and the newest batch record stays, so batch ids are never reused.
	pub fn prune(&self, before_ms: u64) -> Result<Pruned, StoreError> {
		let txn = self.db.begin_write().map_err(db_error)?;
		let mut pruned = Pruned::default();
		{
			let mut batches = txn.open_table(BATCHES).map_err(db_error)?;
			let mut receipts = txn.open_table(RECEIPTS).map_err(db_error)?;
			let mut transcripts = txn.open_table(TRANSCRIPTS).map_err(db_error)?;
			let mut by_chain = txn.open_table(BY_CHAIN_ID).map_err(db_error)?;
			let mut by_content = txn.open_table(BY_CONTENT).map_err(db_error)?;
			let newest = batches.last().map_err(db_error)?.map(|(id, _)| id.value());
			let mut done = Vec::new();
			for entry in batches.iter().map_err(db_error)? {
				let (id, bytes) = entry.map_err(db_error)?;
				let record = BatchRecord::decode(&mut bytes.value())
					.map_err(|e| StoreError::Corrupt(e.to_string()))?;
				let settled = matches!(
					record.state,
					BatchState::Settled { .. }
						| BatchState::Voided { .. }
						| BatchState::Pruned { .. }
				);
				if settled && record.created_ms < before_ms && Some(id.value()) != newest {
					done.push((id.value(), record));
				}
			}
			for (id, record) in done {
				let start = receipt_key(&record.payer, record.first_counter);
				let end = receipt_key(&record.payer, record.last_counter);
				let mut keys = Vec::new();
				for entry in receipts.range(start.as_slice()..=end.as_slice()).map_err(db_error)? {
					let (key, bytes) = entry.map_err(db_error)?;
					// Only this batch's stream: other streams' receipts share the range.
					if record.holds(&decode_receipt(bytes.value())?.receipt) {
						keys.push(key.value().to_vec());
					}
				}
				for key in &keys {
					receipts.remove(key.as_slice()).map_err(db_error)?;
					transcripts.remove(key.as_slice()).map_err(db_error)?;
				}
				batches.remove(id).map_err(db_error)?;
				by_content.remove(record.content_hash.as_slice()).map_err(db_error)?;
				if let Some(chain_batch) = record.state.chain_batch() {
					by_chain.remove(chain_batch).map_err(db_error)?;
				}
				pruned.batches += 1;
				pruned.receipts += keys.len() as u64;
			}
		}
		txn.commit().map_err(db_error)?;
		Ok(pruned)
	}

	/// The receipt of `payer` with `counter` and the transcript behind it, if the store
	/// holds them (a receipt no transcript backs comes with `None`).
	pub fn served(
		&self,
		payer: &AccountBytes,
		counter: Counter,
	) -> Result<Option<Entry>, StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let key = receipt_key(payer, counter);
		let receipts = txn.open_table(RECEIPTS).map_err(db_error)?;
		let Some(receipt) = receipts.get(key.as_slice()).map_err(db_error)? else {
			return Ok(None);
		};
		let receipt = decode_receipt(receipt.value())?;
		let transcripts = txn.open_table(TRANSCRIPTS).map_err(db_error)?;
		let transcript = match transcripts.get(key.as_slice()).map_err(db_error)? {
			Some(bytes) => Some(
				Transcript::decode(&mut bytes.value())
					.map_err(|e| StoreError::Corrupt(e.to_string()))?,
			),
			None => None,
		};
		Ok(Some((receipt, transcript)))
	}

	/// The receipts of a batch in leaf order, all of them: a store that no longer holds every
	/// one cannot serve the batch.
	pub fn batch_receipts(&self, record: &BatchRecord) -> Result<Vec<SignedReceipt>, StoreError> {
		let txn = self.db.begin_read().map_err(db_error)?;
		let receipts = txn.open_table(RECEIPTS).map_err(db_error)?;
		let start = receipt_key(&record.payer, record.first_counter);
		let end = receipt_key(&record.payer, record.last_counter);
		let mut out = Vec::new();
		for entry in receipts.range(start.as_slice()..=end.as_slice()).map_err(db_error)? {
			let (_, bytes) = entry.map_err(db_error)?;
			let signed = decode_receipt(bytes.value())?;
			if record.holds(&signed.receipt) {
				out.push(signed);
			}
		}
		if out.len() as u64 != record.count {
			return Err(StoreError::Corrupt(format!(
				"the store holds {} of the batch's {} receipts",
				out.len(),
				record.count
			)));
		}
		Ok(out)
	}

	/// A batch's receipts in leaf order and its tree, rebuilt from them on all cores (for
	/// proofs). Blocking: run it off the async runtime.
	pub fn batch_tree(
		&self,
		record: &BatchRecord,
	) -> Result<(Vec<SignedReceipt>, MerkleSumTree), StoreError> {
		let receipts = self.batch_receipts(record)?;
		let tree = MerkleSumTree::from_receipts_parallel(&receipts)
			.map_err(|e| StoreError::Corrupt(format!("batch tree: {e:?}")))?;
		Ok((receipts, tree))
	}
}

fn decode_receipt(mut bytes: &[u8]) -> Result<SignedReceipt, StoreError> {
	SignedReceipt::decode(&mut bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A receipt with the transcript it commits to, as they are stored together.
pub type Entry = (SignedReceipt, Option<Transcript>);

type Ack = oneshot::Sender<Result<(), StoreError>>;

/// Group commit in front of [`Store::append`]: callers await their receipt's durable
/// commit; a dedicated thread commits everything queued since the last commit at once.
#[derive(Clone)]
pub struct ReceiptLog {
	queue: mpsc::Sender<(Entry, Ack)>,
}

impl ReceiptLog {
	/// Starts the committing thread. It ends when every `ReceiptLog` clone is dropped, after
	/// committing what is queued.
	pub fn start(store: Arc<Store>, max_group: usize) -> Result<Self, StoreError> {
		let (queue, mut incoming) = mpsc::channel::<(Entry, Ack)>(max_group.saturating_mul(4));
		std::thread::Builder::new()
			.name("receipt-log".into())
			.spawn(move || {
				while let Some(first) = incoming.blocking_recv() {
					let mut group = vec![first];
					while group.len() < max_group {
						match incoming.try_recv() {
							Ok(next) => group.push(next),
							Err(_) => break,
						}
					}
					let (entries, acks): (Vec<_>, Vec<_>) = group.into_iter().unzip();
					match store.append_entries(&entries) {
						Ok(verdicts) => {
							for (ack, verdict) in acks.into_iter().zip(verdicts) {
								let _ = ack.send(verdict);
							}
						},
						Err(e) => {
							tracing::error!(error = %e, "committing receipts failed");
							for ack in acks {
								let _ = ack.send(Err(StoreError::Db(e.to_string())));
							}
						},
					}
				}
			})
			.map_err(StoreError::LogThread)?;
		Ok(Self { queue })
	}

	/// Returns once `receipt`, with the `transcript` it commits to, is durably stored, or
	/// why it was refused.
	pub async fn persist(
		&self,
		receipt: SignedReceipt,
		transcript: Option<Transcript>,
	) -> Result<(), StoreError> {
		let (ack, done) = oneshot::channel();
		self.queue.send(((receipt, transcript), ack)).await.map_err(|_| StoreError::Closed)?;
		done.await.map_err(|_| StoreError::Closed)?
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ail2_primitives::receipt::{signing::Keypair, Receipt};

	/// The model version the test receipts are served under.
	const STREAM: (ModelId, SemVer) = (1, SemVer::new(1, 0, 0));

	fn signed(payer: AccountBytes, counter: Counter, price: Balance) -> SignedReceipt {
		let key = Keypair::from_secret(&[5u8; 32]).unwrap();
		let receipt = Receipt {
			project_id: 0,
			model_id: 1,
			version: SemVer { major: 1, minor: 0, patch: 0 },
			timestamp_ms: 1_000 + counter,
			tokens_in: 1,
			tokens_out: 1,
			gpu_ms: 1,
			bytes_in: 1,
			bytes_out: 1,
			price,
			chain_id: 42,
			route_id: [0u8; 32],
			counter,
			node_pubkey: key.public(),
			payer,
			policy_hash: [0u8; 32],
			max_price: price,
			expires_at_ms: u64::MAX,
			transcript: ail2_primitives::transcript::no_transcript(),
		};
		SignedReceipt {
			node_signature: key.sign(&receipt.message()),
			gateway_signature: [0u8; 65],
			receipt,
		}
	}

	#[test]
	fn batches_close_below_counters_still_being_served() {
		let dir = tempfile::tempdir().unwrap();
		let store = Arc::new(Store::open(&dir.path().join("r.redb")).unwrap());
		let a = [1u8; 32];
		// Counter 5 is being served while 6 and 7 are done and waiting.
		let slow = store.reserve(a, 5);
		store.append(&[signed(a, 6, 1), signed(a, 7, 1), signed(a, 2, 1)]).unwrap();
		let (_, record) = store.close_batch(&a, STREAM, 100, 1).unwrap().unwrap();
		assert_eq!((record.first_counter, record.last_counter), (2, 2));
		assert!(store.close_batch(&a, STREAM, 100, 2).unwrap().is_none(), "6 and 7 wait for 5");
		// 5 finishes: it is still accepted, and the next batch takes 5..7.
		assert!(store.append(&[signed(a, 5, 1)]).unwrap()[0].is_ok());
		drop(slow);
		let (_, record) = store.close_batch(&a, STREAM, 100, 3).unwrap().unwrap();
		assert_eq!((record.first_counter, record.last_counter, record.count), (5, 7, 3));
		// Another payer's requests never hold this payer's batches.
		let _other = store.reserve([9u8; 32], 1);
		store.append(&[signed(a, 8, 1)]).unwrap();
		assert!(store.close_batch(&a, STREAM, 100, 4).unwrap().is_some());
	}

	/// `signed(payer, counter, price)` served under `version` of model 1.
	fn signed_under(
		version: SemVer,
		payer: AccountBytes,
		counter: Counter,
		price: Balance,
	) -> SignedReceipt {
		let mut receipt = signed(payer, counter, price).receipt;
		receipt.version = version;
		let key = Keypair::from_secret(&[5u8; 32]).unwrap();
		SignedReceipt {
			node_signature: key.sign(&receipt.message()),
			gateway_signature: [0u8; 65],
			receipt,
		}
	}

	#[test]
	fn each_model_version_of_a_payer_batches_on_its_own() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("r.redb");
		let a = [1u8; 32];
		let v2 = SemVer::new(2, 0, 0);
		let store = Store::open(&path).unwrap();
		// One counter sequence, odd counters under 1.0.0 and even ones under 2.0.0.
		let receipts: Vec<_> = (1..=8)
			.map(|c| if c % 2 == 1 { signed(a, c, 10) } else { signed_under(v2, a, c, 1) })
			.collect();
		assert!(store.append(&receipts).unwrap().iter().all(Result::is_ok));
		let pending = store.pending().unwrap();
		assert_eq!(
			pending.iter().map(|p| (p.version, p.count)).collect::<Vec<_>>(),
			vec![(STREAM.1, 4), (v2, 4)]
		);

		let (old, first) = store.close_batch(&a, (1, v2), 100, 1).unwrap().unwrap();
		assert_eq!((first.version, first.first_counter, first.last_counter), (v2, 2, 8));
		assert_eq!((first.count, first.total), (4, 4));
		let leaves = store.batch_receipts(&first).unwrap();
		assert_eq!(leaves.iter().map(|r| r.receipt.counter).collect::<Vec<_>>(), [2, 4, 6, 8]);
		assert_eq!(first.content_hash, keccak256(&leaves.encode()));
		// 1.0.0's receipts below 8 still wait and batch, apart from 2.0.0's.
		let (_, second) = store.close_batch(&a, STREAM, 100, 2).unwrap().unwrap();
		assert_eq!((second.first_counter, second.last_counter, second.total), (1, 7, 40));
		assert_eq!(store.batch_receipts(&second).unwrap().len(), 4);
		assert!(store.pending().unwrap().is_empty());
		// No new receipt may arrive below what either stream batched.
		assert!(matches!(store.counter_available(&a, 8), Err(StoreError::CounterBatched { .. })));

		// Indexes: by content hash at once, by the chain's id once proposed.
		assert_eq!(store.batch_by_content(&first.content_hash).unwrap().map(|b| b.0), Some(old));
		assert_eq!(store.batch_by_chain_id(40).unwrap(), None);
		store.set_batch_state(old, BatchState::Proposed { chain_batch: 40 }).unwrap();
		drop(store);
		let store = Store::open(&path).unwrap();
		let (id, record) = store.batch_by_chain_id(40).unwrap().unwrap();
		assert_eq!((id, record.state.name()), (old, "proposed"));

		// Pruning the paid 2.0.0 batch keeps 1.0.0's receipts, which share its range.
		store.set_batch_state(old, BatchState::Settled { chain_batch: 40 }).unwrap();
		assert_eq!(store.prune(5).unwrap(), Pruned { batches: 1, receipts: 4 });
		assert_eq!(store.batch_by_chain_id(40).unwrap(), None);
		assert_eq!(store.batch_by_content(&first.content_hash).unwrap(), None);
		assert_eq!(store.batch_receipts(&second).unwrap().len(), 4);
	}

	#[test]
	fn receipts_survive_a_restart_and_batch_once() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("r.redb");
		let (a, b) = ([1u8; 32], [2u8; 32]);
		{
			let store = Store::open(&path).unwrap();
			let verdicts = store
				.append(&[signed(a, 3, 10), signed(a, 1, 20), signed(b, 1, 5), signed(a, 3, 99)])
				.unwrap();
			assert!(verdicts[0].is_ok() && verdicts[1].is_ok() && verdicts[2].is_ok());
			assert!(matches!(verdicts[3], Err(StoreError::CounterUsed { counter: 3 })));
		}
		// Reopened: everything acknowledged is still there.
		let store = Store::open(&path).unwrap();
		let pending = store.pending().unwrap();
		assert_eq!(
			pending,
			vec![
				PendingSummary {
					payer: a,
					model: 1,
					version: STREAM.1,
					count: 2,
					oldest_ms: 1_001
				},
				PendingSummary {
					payer: b,
					model: 1,
					version: STREAM.1,
					count: 1,
					oldest_ms: 1_001
				},
			]
		);

		let (id, record) = store.close_batch(&a, STREAM, 100, 7).unwrap().unwrap();
		assert_eq!(
			(record.first_counter, record.last_counter, record.count, record.total),
			(1, 3, 2, 30)
		);
		let receipts = store.batch_receipts(&record).unwrap();
		assert_eq!(receipts.iter().map(|r| r.receipt.counter).collect::<Vec<_>>(), vec![1, 3]);
		let tree = MerkleSumTree::from_receipts(&receipts).unwrap();
		assert_eq!(tree.root().hash, record.root_hash);
		assert_eq!(record.content_hash, keccak256(&receipts.encode()));

		// Closed once: nothing left for `a`, and its old counters are refused from now on.
		assert!(store.close_batch(&a, STREAM, 100, 8).unwrap().is_none());
		assert!(matches!(store.counter_available(&a, 2), Err(StoreError::CounterBatched { .. })));
		assert!(store.counter_available(&a, 4).is_ok());
		let verdicts = store.append(&[signed(a, 2, 1)]).unwrap();
		assert!(matches!(verdicts[0], Err(StoreError::CounterBatched { counter: 2, batched: 3 })));

		store.set_batch_state(id, BatchState::Proposed { chain_batch: 9 }).unwrap();
		assert_eq!(
			store.open_batches().unwrap(),
			vec![(
				id,
				BatchRecord { state: BatchState::Proposed { chain_batch: 9 }, ..record.clone() }
			)]
		);
		store.set_batch_state(id, BatchState::Settled { chain_batch: 9 }).unwrap();
		assert!(store.open_batches().unwrap().is_empty());
	}

	#[test]
	fn settled_batches_are_pruned_after_their_retention() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(&dir.path().join("r.redb")).unwrap();
		let (a, b) = ([1u8; 32], [2u8; 32]);
		store.append(&[signed(a, 1, 10), signed(a, 2, 10), signed(b, 1, 5)]).unwrap();
		let (old, _) = store.close_batch(&a, STREAM, 100, 1_000).unwrap().unwrap();
		let (voided, _) = store.close_batch(&b, STREAM, 100, 1_500).unwrap().unwrap();
		store.append(&[signed(a, 3, 10)]).unwrap();
		let (open, _) = store.close_batch(&a, STREAM, 100, 2_000).unwrap().unwrap();
		store.append(&[signed(a, 4, 10), signed(b, 2, 5)]).unwrap();
		let (recent, recent_record) = store.close_batch(&b, STREAM, 100, 9_000).unwrap().unwrap();
		store.append(&[signed(b, 3, 5)]).unwrap();
		store.set_batch_state(old, BatchState::Settled { chain_batch: 1 }).unwrap();
		store.set_batch_state(voided, BatchState::Voided { chain_batch: 2 }).unwrap();
		store.set_batch_state(open, BatchState::Proposed { chain_batch: 3 }).unwrap();
		store.set_batch_state(recent, BatchState::Settled { chain_batch: 4 }).unwrap();

		// Paid or voided before 5,000: gone with their receipts. The proposed batch, the one
		// paid after the cutoff and the receipts still waiting stay.
		assert_eq!(store.prune(5_000).unwrap(), Pruned { batches: 2, receipts: 3 });
		assert_eq!(store.batch(old).unwrap(), None);
		assert_eq!(store.batch(voided).unwrap(), None);
		let kept = store.batch(open).unwrap().unwrap();
		assert_eq!(store.batch_receipts(&kept).unwrap().len(), 1);
		assert_eq!(store.batch_receipts(&recent_record).unwrap().len(), 1);
		assert_eq!(
			store.pending().unwrap().iter().map(|p| (p.payer, p.count)).collect::<Vec<_>>(),
			vec![(a, 1), (b, 1)]
		);
		// The pruned counters are still refused.
		assert!(matches!(store.counter_available(&a, 1), Err(StoreError::CounterBatched { .. })));
		let verdicts = store.append(&[signed(b, 1, 5)]).unwrap();
		assert!(matches!(verdicts[0], Err(StoreError::CounterBatched { .. })));
		// Nothing more to prune at the same cutoff.
		assert_eq!(store.prune(5_000).unwrap(), Pruned::default());

		// The newest record is never pruned, so the next batch does not reuse its id.
		store.set_batch_state(open, BatchState::Settled { chain_batch: 3 }).unwrap();
		assert_eq!(store.prune(u64::MAX).unwrap(), Pruned { batches: 1, receipts: 1 });
		assert!(store.batch(recent).unwrap().is_some());
		let (next, _) = store.close_batch(&a, STREAM, 100, 10_000).unwrap().unwrap();
		assert!(next > recent);
	}

	fn transcript(counter: Counter) -> Transcript {
		use ail2_primitives::transcript::{Finish, Sampling};
		Transcript {
			model_id: 1,
			version: SemVer::new(1, 0, 0),
			prompt: vec![1, 2, 3],
			max_tokens: 8,
			sampling: Sampling { temperature_bits: 0, top_p_bits: 1f32.to_bits(), seed: counter },
			output: vec![4, 5],
			logprobs: vec![-1, -2],
			finish: Finish::Length,
		}
	}

	#[test]
	fn transcripts_are_kept_with_their_receipts_and_pruned_with_them() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(&dir.path().join("r.redb")).unwrap();
		let a = [1u8; 32];
		let entries = vec![
			(signed(a, 1, 10), Some(transcript(1))),
			(signed(a, 2, 10), None),
			// A reused counter: refused, and its transcript is not stored either.
			(signed(a, 1, 99), Some(transcript(99))),
		];
		let verdicts = store.append_entries(&entries).unwrap();
		assert!(verdicts[0].is_ok() && verdicts[1].is_ok());
		assert!(matches!(verdicts[2], Err(StoreError::CounterUsed { counter: 1 })));
		assert_eq!(store.served(&a, 1).unwrap(), Some((signed(a, 1, 10), Some(transcript(1)))));
		assert_eq!(store.served(&a, 2).unwrap(), Some((signed(a, 2, 10), None)));
		assert_eq!(store.served(&a, 3).unwrap(), None);

		let (id, _) = store.close_batch(&a, STREAM, 100, 1_000).unwrap().unwrap();
		// Batched but not yet paid: still served.
		assert!(store.served(&a, 1).unwrap().is_some());
		store.set_batch_state(id, BatchState::Settled { chain_batch: 1 }).unwrap();
		store.append(&[signed(a, 3, 10)]).unwrap();
		store.close_batch(&a, STREAM, 100, 2_000).unwrap().unwrap();
		assert_eq!(store.prune(1_500).unwrap(), Pruned { batches: 1, receipts: 2 });
		assert_eq!(store.served(&a, 1).unwrap(), None);
		use redb::ReadableTableMetadata;
		let txn = store.db.begin_read().unwrap();
		assert_eq!(txn.open_table(TRANSCRIPTS).unwrap().len().unwrap(), 0);
	}

	#[tokio::test]
	async fn the_log_acknowledges_only_after_commit() {
		let dir = tempfile::tempdir().unwrap();
		let store = std::sync::Arc::new(Store::open(&dir.path().join("r.redb")).unwrap());
		let log = ReceiptLog::start(store.clone(), 16).unwrap();
		let mut tasks = Vec::new();
		for counter in 1..=100 {
			let log = log.clone();
			tasks.push(tokio::spawn(async move {
				log.persist(signed([3u8; 32], counter, 1), None).await
			}));
		}
		for task in tasks {
			task.await.unwrap().unwrap();
		}
		assert_eq!(store.pending().unwrap()[0].count, 100);
		assert!(matches!(
			log.persist(signed([3u8; 32], 50, 1), None).await,
			Err(StoreError::CounterUsed { .. })
		));
	}
}
