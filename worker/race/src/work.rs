//! A participant's work commitment: the leaf `(keccak256("ail2:race:leaf" ‖ nonce ‖
//! artifact), 1)` of every nonce it computed, in a Merkle-sum tree whose root's sum is the
//! count (`ail2_primitives::race::work_leaf`).
//!
//! [`WorkLog`] appends artifacts to a file of fixed-size records as they are computed and
//! keeps in memory only the root of each full chunk of [`CHUNK`] leaves and the running peaks:
//! committing costs O(log n), memory O(n / CHUNK). Level `log2(CHUNK)` of the tree over `n`
//! leaves is exactly the chunk roots (the last chunk may be partial), so an opening is the
//! path inside its chunk, rebuilt from the file, followed by the chunk root's path in the tree
//! over chunk roots.

use std::{
	fs::{File, OpenOptions},
	io::{BufWriter, Read, Seek, SeekFrom, Write},
	path::{Path, PathBuf},
};

use ail2_primitives::{
	merkle::{verify_inclusion, MerkleSumTree, Peaks, ProofError, SumNode},
	race::{work_leaf, Nonce},
};

/// Leaves per chunk (a power of two): an opening reads one chunk, `CHUNK · 2k` bytes.
pub const CHUNK: u64 = 1024;

/// Why the work log could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
	#[error("{action} {}: {error}", path.display())]
	Io { action: &'static str, path: PathBuf, error: std::io::Error },
	#[error("{} holds {bytes} bytes, not whole records of {record} bytes", path.display())]
	Truncated { path: PathBuf, bytes: u64, record: u64 },
	#[error("leaf {index} is not among the {count} committed")]
	OutOfRange { index: u64, count: u64 },
	#[error("an artifact of {got} values where the race asks for {expected}")]
	WrongLength { got: usize, expected: usize },
	#[error("the tree's sums overflow")]
	Overflow,
}

/// One opened leaf: the artifact of nonce `nonce` and its path to the committed root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
	pub nonce: Nonce,
	/// The binary16 values, as bits.
	pub artifact: Vec<u16>,
	/// Siblings from the leaf to the root, lowest first (`merkle::verify_inclusion`).
	pub siblings: Vec<SumNode>,
}

impl Opening {
	/// Whether this opening is leaf `self.nonce` of the commitment `(root, count)`.
	pub fn verify(&self, root: &SumNode, count: u64) -> Result<(), ProofError> {
		verify_inclusion(
			root,
			count,
			self.nonce,
			&work_leaf(self.nonce, &self.artifact),
			&self.siblings,
		)
	}
}

/// The artifacts of one race, on disk, with what committing and opening need in memory.
pub struct WorkLog {
	path: PathBuf,
	file: BufWriter<File>,
	/// Values per artifact.
	k: usize,
	peaks: Peaks,
	chunk: Peaks,
	chunk_roots: Vec<SumNode>,
}

impl WorkLog {
	/// Starts a new log at `path` (truncating what was there) for artifacts of `k` values.
	pub fn create(path: &Path, k: u32) -> Result<Self, WorkError> {
		let file = File::create(path).map_err(|error| io("creating", path, error))?;
		Ok(Self::empty(path, file, k))
	}

	/// A log with no leaves yet, appending to `file`.
	fn empty(path: &Path, file: File, k: u32) -> Self {
		Self {
			path: path.to_owned(),
			file: BufWriter::new(file),
			k: k as usize,
			peaks: Peaks::default(),
			chunk: Peaks::default(),
			chunk_roots: Vec::new(),
		}
	}

	/// Reopens the log at `path` after a restart, recomputing its roots from the file (a
	/// participant must still open what it committed); new artifacts are appended.
	pub fn reopen(path: &Path, k: u32) -> Result<Self, WorkError> {
		let mut file = OpenOptions::new()
			.read(true)
			.append(true)
			.open(path)
			.map_err(|error| io("opening", path, error))?;
		let record = record_bytes(k as usize);
		let bytes = file.metadata().map_err(|error| io("reading", path, error))?.len();
		if bytes % record != 0 {
			return Err(WorkError::Truncated { path: path.to_owned(), bytes, record });
		}
		let mut data = Vec::new();
		file.read_to_end(&mut data).map_err(|error| io("reading", path, error))?;
		let mut log = Self::empty(path, file, k);
		for (nonce, bytes) in data.chunks_exact(record as usize).enumerate() {
			log.add_leaf(work_leaf(nonce as u64, &decode(bytes)))?;
		}
		Ok(log)
	}

	/// Artifacts logged: the next nonce to append.
	pub fn count(&self) -> u64 {
		self.peaks.leaves()
	}

	/// The root over every artifact logged (`None` before the first).
	pub fn root(&self) -> Option<SumNode> {
		self.peaks.root()
	}

	/// Appends the artifacts of the next nonces, in order.
	pub fn append(&mut self, artifacts: &[Vec<u16>]) -> Result<(), WorkError> {
		for artifact in artifacts {
			if artifact.len() != self.k {
				return Err(WorkError::WrongLength { got: artifact.len(), expected: self.k });
			}
		}
		for artifact in artifacts {
			let nonce = self.count();
			let mut bytes = Vec::with_capacity(2 * self.k);
			for value in artifact {
				bytes.extend_from_slice(&value.to_le_bytes());
			}
			self.file.write_all(&bytes).map_err(|error| io("writing", &self.path, error))?;
			self.add_leaf(work_leaf(nonce, artifact))?;
		}
		Ok(())
	}

	/// Writes buffered artifacts to the file (before a commitment naming them is sent, so that
	/// a crash never leaves committed leaves unopenable).
	pub fn flush(&mut self) -> Result<(), WorkError> {
		self.file.flush().map_err(|error| io("writing", &self.path, error))?;
		self.file.get_ref().sync_data().map_err(|error| io("syncing", &self.path, error))
	}

	fn add_leaf(&mut self, leaf: SumNode) -> Result<(), WorkError> {
		self.peaks.push(leaf).map_err(|_| WorkError::Overflow)?;
		self.chunk.push(leaf).map_err(|_| WorkError::Overflow)?;
		if self.chunk.leaves() == CHUNK {
			self.chunk_roots.push(self.chunk.root().ok_or(WorkError::Overflow)?);
			self.chunk = Peaks::default();
		}
		Ok(())
	}

	/// Opens the leaves `indices` of the commitment to the first `count` artifacts (a later
	/// commitment's count may be below what was logged since).
	pub fn open(&mut self, count: u64, indices: &[u64]) -> Result<Vec<Opening>, WorkError> {
		self.flush()?;
		if count > self.count() || count == 0 {
			let index = indices.first().copied().unwrap_or(0);
			return Err(WorkError::OutOfRange { index, count: self.count() });
		}
		let full = (count / CHUNK) as usize;
		let mut roots: Vec<SumNode> = self.chunk_roots.get(..full).unwrap_or_default().to_vec();
		let partial = count % CHUNK;
		if partial > 0 {
			let leaves = self.read_chunk(full as u64, partial)?;
			roots.push(MerkleSumTree::build(leaves).map_err(|_| WorkError::Overflow)?.root());
		}
		let upper = MerkleSumTree::build(roots).map_err(|_| WorkError::Overflow)?;
		let mut openings = Vec::with_capacity(indices.len());
		for &index in indices {
			if index >= count {
				return Err(WorkError::OutOfRange { index, count });
			}
			let chunk = index / CHUNK;
			let size = (count - chunk * CHUNK).min(CHUNK);
			let leaves = self.read_chunk(chunk, size)?;
			let artifact = self.read_artifact(index)?;
			let inner = MerkleSumTree::build(leaves).map_err(|_| WorkError::Overflow)?;
			let mut siblings =
				inner.proof(index % CHUNK).ok_or(WorkError::OutOfRange { index, count })?.siblings;
			siblings
				.extend(upper.path_from(0, chunk).ok_or(WorkError::OutOfRange { index, count })?);
			openings.push(Opening { nonce: index, artifact, siblings });
		}
		Ok(openings)
	}

	/// The leaves of chunk `chunk`, its first `size` of them.
	fn read_chunk(&self, chunk: u64, size: u64) -> Result<Vec<SumNode>, WorkError> {
		let record = record_bytes(self.k);
		let mut data = vec![0u8; (size * record) as usize];
		self.read_at(chunk * CHUNK * record, &mut data)?;
		Ok(data
			.chunks_exact(record as usize)
			.enumerate()
			.map(|(i, bytes)| work_leaf(chunk * CHUNK + i as u64, &decode(bytes)))
			.collect())
	}

	fn read_artifact(&self, index: u64) -> Result<Vec<u16>, WorkError> {
		let record = record_bytes(self.k);
		let mut data = vec![0u8; record as usize];
		self.read_at(index * record, &mut data)?;
		Ok(decode(&data))
	}

	fn read_at(&self, offset: u64, out: &mut [u8]) -> Result<(), WorkError> {
		let mut file = File::open(&self.path).map_err(|error| io("opening", &self.path, error))?;
		file.seek(SeekFrom::Start(offset)).map_err(|error| io("reading", &self.path, error))?;
		file.read_exact(out).map_err(|error| io("reading", &self.path, error))
	}
}

fn record_bytes(k: usize) -> u64 {
	2 * k as u64
}

fn decode(bytes: &[u8]) -> Vec<u16> {
	bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect()
}

fn io(action: &'static str, path: &Path, error: std::io::Error) -> WorkError {
	WorkError::Io { action, path: path.to_owned(), error }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
	use super::*;

	fn artifact(nonce: u64) -> Vec<u16> {
		(0..4).map(|i| (nonce * 7 + i) as u16).collect()
	}

	#[test]
	fn openings_verify_against_the_root_of_every_committed_count() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("race-0.leaves");
		let mut log = WorkLog::create(&path, 4).unwrap();
		let total = 3 * CHUNK + 17;
		let artifacts: Vec<Vec<u16>> = (0..total).map(artifact).collect();
		let mut roots = Vec::new();
		for batch in artifacts.chunks(300) {
			log.append(batch).unwrap();
			roots.push((log.count(), log.root().unwrap()));
		}
		let leaves: Vec<SumNode> = (0..total).map(|n| work_leaf(n, &artifact(n))).collect();
		assert_eq!(log.root(), Some(MerkleSumTree::build(leaves).unwrap().root()));
		// Commitments made along the way stay openable after more was logged.
		for (count, root) in roots.iter().copied().filter(|(c, _)| *c % 3 != 2).take(8) {
			assert_eq!(root.sum, u128::from(count));
			let indices = [0, count / 2, count - 1];
			for opening in log.open(count, &indices).unwrap() {
				assert_eq!(opening.artifact, artifact(opening.nonce));
				opening.verify(&root, count).unwrap();
			}
		}
		// A wrong artifact, index or count fails.
		let (count, root) = *roots.last().unwrap();
		let mut forged = log.open(count, &[5]).unwrap().remove(0);
		forged.artifact[0] ^= 1;
		assert_eq!(forged.verify(&root, count), Err(ProofError::RootMismatch));
		let mut moved = log.open(count, &[5]).unwrap().remove(0);
		moved.nonce = 6;
		assert!(moved.verify(&root, count).is_err());
		assert!(matches!(log.open(count + 1, &[0]), Err(WorkError::OutOfRange { .. })));
		assert!(matches!(log.open(count, &[count]), Err(WorkError::OutOfRange { .. })));
	}

	#[test]
	fn a_reopened_log_has_the_same_root_and_keeps_appending() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("race-1.leaves");
		let mut log = WorkLog::create(&path, 4).unwrap();
		log.append(&(0..CHUNK + 3).map(artifact).collect::<Vec<_>>()).unwrap();
		log.flush().unwrap();
		let (count, root) = (log.count(), log.root());
		drop(log);
		let mut again = WorkLog::reopen(&path, 4).unwrap();
		assert_eq!((again.count(), again.root()), (count, root));
		again.append(&[artifact(count)]).unwrap();
		let opening = again.open(count + 1, &[count]).unwrap().remove(0);
		opening.verify(&again.root().unwrap(), count + 1).unwrap();
		assert!(matches!(
			again.append(&[vec![1, 2, 3]]),
			Err(WorkError::WrongLength { got: 3, expected: 4 })
		));
		assert_eq!(again.count(), count + 1, "a refused append adds nothing");
	}
}
