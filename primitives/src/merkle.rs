//! Merkle-sum trees over receipts (whitepaper §6.3.1 extended with sums).
//!
//! Every node carries a hash and the sum of the prices below it. A leaf is
//! `(keccak256(0x00 ‖ SCALE(signed receipt)), price)`; an inner node is
//! `(keccak256(0x01 ‖ left.hash ‖ left.sum ‖ right.hash ‖ right.sum), left.sum + right.sum)`
//! with sums as 16-byte little-endian integers. The tags keep a leaf from ever being read as
//! an inner node. A level with an odd number of nodes carries its last node up unchanged.
//!
//! A batch declares the root `(hash, total)` and the number of leaves. Because an inner
//! node's hash covers its children's sums, an inclusion proof authenticates every partial
//! sum on its path, and a proposer who wrote a wrong sum anywhere can be caught with the
//! node's two children and the path above it: O(log n) data either way.

use crate::{keccak256, receipt::SignedReceipt, Balance, Hash};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

const LEAF_TAG: u8 = 0x00;
const NODE_TAG: u8 = 0x01;

/// A tree never has more levels than this (2^64 leaves); proofs longer than this are void.
pub const MAX_DEPTH: u32 = 64;

/// A node of a Merkle-sum tree.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct SumNode {
	pub hash: Hash,
	pub sum: Balance,
}

/// The leaf of a signed receipt.
pub fn leaf(receipt: &SignedReceipt) -> SumNode {
	let mut bytes = Vec::with_capacity(receipt.encoded_size().saturating_add(1));
	bytes.push(LEAF_TAG);
	receipt.encode_to(&mut bytes);
	SumNode { hash: keccak256(&bytes), sum: receipt.receipt.price }
}

/// The hash of an inner node with these children, whatever sum it claims.
pub fn node_hash(left: &SumNode, right: &SumNode) -> Hash {
	let mut bytes = [0u8; 1 + 2 * (32 + 16)];
	let (tag, rest) = bytes.split_at_mut(1);
	tag.fill(NODE_TAG);
	let (lh, rest) = rest.split_at_mut(32);
	lh.copy_from_slice(&left.hash);
	let (ls, rest) = rest.split_at_mut(16);
	ls.copy_from_slice(&left.sum.to_le_bytes());
	let (rh, rs) = rest.split_at_mut(32);
	rh.copy_from_slice(&right.hash);
	rs.copy_from_slice(&right.sum.to_le_bytes());
	keccak256(&bytes)
}

/// The honest parent of two nodes, or `None` if the sum overflows.
pub fn parent(left: &SumNode, right: &SumNode) -> Option<SumNode> {
	Some(SumNode { hash: node_hash(left, right), sum: left.sum.checked_add(right.sum)? })
}

/// Number of nodes on `level` (0 = leaves) of a tree of `leaves` leaves.
pub fn level_width(leaves: u64, level: u32) -> u64 {
	let mut width = leaves;
	for _ in 0..level.min(MAX_DEPTH) {
		width = width.div_ceil(2);
	}
	width
}

/// Number of levels above the leaves (0 for a single leaf).
pub fn height(leaves: u64) -> u32 {
	let mut width = leaves;
	let mut levels = 0;
	while width > 1 && levels < MAX_DEPTH {
		width = width.div_ceil(2);
		levels = levels.saturating_add(1);
	}
	levels
}

/// Why a proof was not accepted.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub enum ProofError {
	/// The position is not in the tree.
	OutOfRange,
	/// Too few or too many siblings for the position.
	WrongLength,
	/// Honest sums on the path overflow.
	Overflow,
	/// The path does not lead to the root.
	RootMismatch,
	/// The node named as inconsistent is not an inner node with two children.
	NotAnInnerNode,
	/// The node's sum does equal its children's: nothing is wrong with it.
	Consistent,
}

/// Climbs from `node` at `(level, index)` to the root of a tree of `leaves` leaves, using
/// one sibling per level where the node has one. Returns the root reached.
fn climb(
	mut node: SumNode,
	level: u32,
	mut index: u64,
	leaves: u64,
	siblings: &[SumNode],
) -> Result<SumNode, ProofError> {
	let mut width = level_width(leaves, level);
	if index >= width {
		return Err(ProofError::OutOfRange);
	}
	let mut siblings = siblings.iter();
	let mut steps = 0u32;
	while width > 1 && steps < MAX_DEPTH {
		if index % 2 == 1 {
			let left = siblings.next().ok_or(ProofError::WrongLength)?;
			node = parent(left, &node).ok_or(ProofError::Overflow)?;
		} else if index.saturating_add(1) < width {
			let right = siblings.next().ok_or(ProofError::WrongLength)?;
			node = parent(&node, right).ok_or(ProofError::Overflow)?;
		}
		// else: the last node of an odd level is carried up unchanged.
		index /= 2;
		width = width.div_ceil(2);
		steps = steps.saturating_add(1);
	}
	if siblings.next().is_some() {
		return Err(ProofError::WrongLength);
	}
	Ok(node)
}

/// Checks that `leaf` is leaf number `index` of the tree with `root` and `leaves` leaves.
/// Every partial sum on the path is recomputed, so a success also proves the root's sum
/// includes the leaf's price along honest additions.
pub fn verify_inclusion(
	root: &SumNode,
	leaves: u64,
	index: u64,
	leaf: &SumNode,
	siblings: &[SumNode],
) -> Result<(), ProofError> {
	let reached = climb(*leaf, 0, index, leaves, siblings)?;
	if reached == *root {
		Ok(())
	} else {
		Err(ProofError::RootMismatch)
	}
}

/// Evidence that the inner node at `(level, index)` claims a sum different from the sum of
/// its children (or one that overflows).
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct InconsistentNode {
	/// Height of the node above the leaves (≥ 1).
	pub level: u32,
	/// Position of the node on its level.
	pub index: u64,
	pub left: SumNode,
	pub right: SumNode,
	/// The sum the tree gives the node: as committed in its parent's hash, or the batch's
	/// declared total when the node is the root.
	pub claimed_sum: Balance,
	/// Siblings from the node up to the root.
	pub siblings: Vec<SumNode>,
}

/// Verifies an [`InconsistentNode`] against a batch's declared `root` (hash and total).
/// Success proves the proposer's tree contains a node whose sum is not its children's.
pub fn verify_inconsistent_node(
	root: &SumNode,
	leaves: u64,
	evidence: &InconsistentNode,
) -> Result<(), ProofError> {
	let InconsistentNode { level, index, left, right, claimed_sum, siblings } = evidence;
	if *level == 0 || *level > height(leaves) {
		return Err(ProofError::NotAnInnerNode);
	}
	// The node must have been formed from two children, not carried up from one.
	let below = level_width(leaves, level.saturating_sub(1));
	let right_child =
		index.checked_mul(2).and_then(|i| i.checked_add(1)).ok_or(ProofError::OutOfRange)?;
	if right_child >= below {
		return Err(ProofError::NotAnInnerNode);
	}
	if left.sum.checked_add(right.sum) == Some(*claimed_sum) {
		return Err(ProofError::Consistent);
	}
	let node = SumNode { hash: node_hash(left, right), sum: *claimed_sum };
	let reached = climb(node, *level, *index, leaves, siblings)?;
	if reached.hash != root.hash {
		return Err(ProofError::RootMismatch);
	}
	// The root's own sum is committed by the batch declaration, not by any hash.
	if *level == height(leaves) && *claimed_sum != root.sum {
		return Err(ProofError::RootMismatch);
	}
	Ok(())
}

/// An inclusion proof: the siblings from a leaf to the root.
#[derive(Clone, PartialEq, Eq, Debug, Encode, Decode, TypeInfo)]
pub struct InclusionProof {
	pub index: u64,
	pub siblings: Vec<SumNode>,
}

/// Why a tree could not be built.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TreeError {
	/// A batch has at least one receipt.
	Empty,
	/// The total of the prices does not fit in a `u128`.
	Overflow,
}

/// A whole Merkle-sum tree, kept level by level (leaves first) to serve proofs.
#[derive(Clone, Debug)]
pub struct MerkleSumTree {
	levels: Vec<Vec<SumNode>>,
}

impl MerkleSumTree {
	/// Builds the tree over `leaves` in order.
	pub fn build(leaves: Vec<SumNode>) -> Result<Self, TreeError> {
		if leaves.is_empty() {
			return Err(TreeError::Empty);
		}
		let mut levels = Vec::with_capacity(height(leaves.len() as u64).saturating_add(1) as usize);
		levels.push(leaves);
		loop {
			let Some(below) = levels.last() else { return Err(TreeError::Empty) };
			if below.len() <= 1 {
				break;
			}
			let mut next = Vec::with_capacity(below.len().div_ceil(2));
			for pair in below.chunks(2) {
				match pair {
					[left, right] => next.push(parent(left, right).ok_or(TreeError::Overflow)?),
					[single] => next.push(*single),
					_ => {},
				}
			}
			levels.push(next);
		}
		Ok(Self { levels })
	}

	/// Builds the tree over signed receipts in order.
	pub fn from_receipts<'a>(
		receipts: impl IntoIterator<Item = &'a SignedReceipt>,
	) -> Result<Self, TreeError> {
		Self::build(receipts.into_iter().map(leaf).collect())
	}

	/// Builds the same tree as [`Self::from_receipts`], hashing on all cores: leaves in
	/// contiguous chunks, then each wide level in chunks of whole pairs. For workers
	/// closing large batches.
	#[cfg(feature = "std")]
	pub fn from_receipts_parallel(receipts: &[SignedReceipt]) -> Result<Self, TreeError> {
		let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
		let leaves = parallel_map(receipts, threads, leaf);
		if leaves.is_empty() {
			return Err(TreeError::Empty);
		}
		let mut levels = alloc::vec![leaves];
		loop {
			let Some(below) = levels.last() else { return Err(TreeError::Empty) };
			if below.len() <= 1 {
				break;
			}
			let pairs: Vec<&[SumNode]> = below.chunks(2).collect();
			let next = parallel_map(&pairs, threads, |pair| match pair {
				[left, right] => parent(left, right),
				[single] => Some(*single),
				_ => None,
			});
			let next: Option<Vec<SumNode>> = next.into_iter().collect();
			levels.push(next.ok_or(TreeError::Overflow)?);
		}
		Ok(Self { levels })
	}

	/// The root: its hash and the total of all prices.
	pub fn root(&self) -> SumNode {
		self.levels.last().and_then(|top| top.first()).copied().unwrap_or_default()
	}

	/// Number of leaves.
	pub fn leaves(&self) -> u64 {
		self.levels.first().map_or(0, |l| l.len() as u64)
	}

	/// The node at `(level, index)`, if any.
	pub fn node(&self, level: u32, index: u64) -> Option<SumNode> {
		self.levels.get(level as usize)?.get(usize::try_from(index).ok()?).copied()
	}

	/// The inclusion proof of leaf `index`.
	pub fn proof(&self, index: u64) -> Option<InclusionProof> {
		self.path_from(0, index).map(|siblings| InclusionProof { index, siblings })
	}

	/// The siblings from the node at `(level, index)` to the root.
	pub fn path_from(&self, level: u32, index: u64) -> Option<Vec<SumNode>> {
		let mut siblings = Vec::new();
		let mut i = usize::try_from(index).ok()?;
		for nodes in self.levels.get(level as usize..)?.iter() {
			if nodes.len() <= 1 {
				break;
			}
			if i >= nodes.len() {
				return None;
			}
			if i % 2 == 1 {
				siblings.push(*nodes.get(i.checked_sub(1)?)?);
			} else if let Some(right) = nodes.get(i.checked_add(1)?) {
				siblings.push(*right);
			}
			i /= 2;
		}
		Some(siblings)
	}

	/// Overwrites the sum of one stored node without touching any hash: what a dishonest
	/// proposer does. For tests of challenge handling.
	#[cfg(any(test, feature = "test-utils"))]
	pub fn corrupt_sum(&mut self, level: u32, index: u64, sum: Balance) -> Option<()> {
		let node = self.levels.get_mut(level as usize)?.get_mut(usize::try_from(index).ok()?)?;
		node.sum = sum;
		Some(())
	}

	/// Recomputes every level above `level` from the (possibly corrupted) nodes below, using
	/// the stored sums as they are: a dishonest proposer's tree after [`Self::corrupt_sum`].
	#[cfg(any(test, feature = "test-utils"))]
	pub fn rehash_above(&mut self, level: u32) {
		let start = level as usize;
		for l in start..self.levels.len().saturating_sub(1) {
			let Some((below, above)) =
				self.levels.get_mut(l..=l.saturating_add(1)).and_then(|s| s.split_first_mut())
			else {
				return;
			};
			let Some(above) = above.first_mut() else { return };
			for (i, slot) in above.iter_mut().enumerate() {
				let first = i.saturating_mul(2);
				let (Some(left), right) = (below.get(first), below.get(first.saturating_add(1)))
				else {
					continue;
				};
				*slot = match right {
					Some(right) => SumNode {
						hash: node_hash(left, right),
						// Keep the claimed sums of nodes above the corruption honest
						// relative to their (claimed) children.
						sum: left.sum.saturating_add(right.sum),
					},
					None => *left,
				};
			}
		}
	}
}

/// The root of a growing sequence of leaves, kept as the roots of its perfect subtrees (the
/// "peaks", one per set bit of the leaf count) so that each leaf costs O(1) hashes on average
/// and memory stays O(log n). Folding the peaks from the smallest (rightmost) up gives the
/// same root as [`MerkleSumTree::build`] over the same leaves: carrying the last node of an
/// odd level up unchanged is exactly what leaves the smaller peaks to be joined last. What a
/// race participant uses to commit to its work as it computes it.
#[derive(Clone, Debug, Default)]
pub struct Peaks {
	/// (height, root) of each perfect subtree, tallest first.
	peaks: Vec<(u32, SumNode)>,
	leaves: u64,
}

impl Peaks {
	/// Appends a leaf; on overflow nothing changes.
	pub fn push(&mut self, leaf: SumNode) -> Result<(), TreeError> {
		let (mut node, mut height, mut kept) = (leaf, 0u32, self.peaks.len());
		for &(top_height, top) in self.peaks.iter().rev() {
			if top_height != height {
				break;
			}
			node = parent(&top, &node).ok_or(TreeError::Overflow)?;
			height = height.saturating_add(1);
			kept = kept.saturating_sub(1);
		}
		self.peaks.truncate(kept);
		self.peaks.push((height, node));
		self.leaves = self.leaves.saturating_add(1);
		Ok(())
	}

	/// The root over the leaves pushed so far; `None` before the first, or if a sum
	/// overflows.
	pub fn root(&self) -> Option<SumNode> {
		let mut peaks = self.peaks.iter().rev();
		let mut root = peaks.next()?.1;
		for (_, peak) in peaks {
			root = parent(peak, &root)?;
		}
		Some(root)
	}

	/// Leaves pushed so far.
	pub fn leaves(&self) -> u64 {
		self.leaves
	}
}

/// `items.map(f)` on up to `threads` scoped threads, order kept. Small inputs stay on the
/// calling thread, where spawning would cost more than it saves.
#[cfg(feature = "std")]
fn parallel_map<T: Sync, R: Send>(
	items: &[T],
	threads: usize,
	f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
	const MIN_PER_THREAD: usize = 4_096;
	let threads = threads.min(items.len() / MIN_PER_THREAD).max(1);
	if threads == 1 {
		return items.iter().map(&f).collect();
	}
	let chunk = items.len().div_ceil(threads);
	std::thread::scope(|scope| {
		let handles: Vec<_> = items
			.chunks(chunk)
			.map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
			.collect();
		// A worker thread only panics if `f` does; re-raise it here.
		handles
			.into_iter()
			.flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
			.collect()
	})
}

#[cfg(test)]
#[allow(
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing,
	clippy::arithmetic_side_effects
)]
mod tests {
	use super::*;
	use crate::receipt::tests::{receipt, signed};
	use proptest::prelude::*;

	fn leaves(prices: &[u64]) -> Vec<SumNode> {
		prices
			.iter()
			.enumerate()
			.map(|(i, p)| SumNode {
				hash: keccak256(&(i as u64).to_le_bytes()),
				sum: u128::from(*p),
			})
			.collect()
	}

	#[test]
	fn hand_built_three_leaf_tree() {
		let l = leaves(&[5, 7, 11]);
		let tree = MerkleSumTree::build(l.clone()).unwrap();
		let ab = parent(&l[0], &l[1]).unwrap();
		assert_eq!(ab.sum, 12);
		// The third leaf is carried up, then paired with (a, b).
		let root = parent(&ab, &l[2]).unwrap();
		assert_eq!(tree.root(), root);
		assert_eq!(tree.root().sum, 23);
		assert_eq!(height(3), 2);
		assert_eq!(level_width(3, 1), 2);
		assert_eq!(tree.proof(2).unwrap().siblings, vec![ab]);
		assert_eq!(tree.proof(0).unwrap().siblings, vec![l[1], l[2]]);
	}

	#[test]
	fn peaks_give_the_built_tree_root_at_every_count() {
		let all = leaves(&[1; 130]);
		let mut peaks = Peaks::default();
		assert_eq!(peaks.root(), None);
		for (n, leaf) in all.iter().enumerate() {
			peaks.push(*leaf).unwrap();
			let built = MerkleSumTree::build(all[..=n].to_vec()).unwrap();
			assert_eq!(peaks.root(), Some(built.root()), "{} leaves", n + 1);
			assert_eq!(peaks.leaves(), n as u64 + 1);
			assert_eq!(peaks.root().unwrap().sum, n as u128 + 1, "the root's sum is the count");
		}
		// O(log n) peaks: one per set bit of the count.
		assert_eq!(peaks.peaks.len() as u32, 130u32.count_ones());
	}

	#[test]
	fn peaks_refuse_an_overflowing_sum() {
		let mut peaks = Peaks::default();
		peaks.push(SumNode { hash: [1; 32], sum: u128::MAX }).unwrap();
		assert_eq!(peaks.push(SumNode { hash: [2; 32], sum: 1 }), Err(TreeError::Overflow));
		assert_eq!((peaks.leaves(), peaks.root().unwrap().sum), (1, u128::MAX), "unchanged");
	}

	#[test]
	fn parallel_build_equals_sequential_build() {
		// Large enough to take the threaded path (> 2 × 4096 leaves) with an odd count.
		let receipts: Vec<_> = (1..=9_001u64).map(|c| signed(receipt(c, u128::from(c)))).collect();
		let sequential = MerkleSumTree::from_receipts(&receipts).unwrap();
		let parallel = MerkleSumTree::from_receipts_parallel(&receipts).unwrap();
		assert_eq!(parallel.root(), sequential.root());
		assert_eq!(parallel.proof(4_500), sequential.proof(4_500));
		assert_eq!(MerkleSumTree::from_receipts_parallel(&[]).unwrap_err(), TreeError::Empty);
	}

	#[test]
	fn node_hash_covers_children_sums() {
		let l = leaves(&[1, 2]);
		let mut other = l.clone();
		other[1].sum = 3;
		assert_ne!(node_hash(&l[0], &l[1]), node_hash(&other[0], &other[1]));
	}

	#[test]
	fn leaf_of_signed_receipt_commits_to_everything() {
		let a = signed(receipt(1, 100));
		let mut b = a.clone();
		b.gateway_signature[3] ^= 1;
		assert_eq!(leaf(&a).sum, 100);
		assert_ne!(leaf(&a).hash, leaf(&b).hash);
	}

	#[test]
	fn single_leaf_tree_is_its_leaf() {
		let l = leaves(&[9]);
		let tree = MerkleSumTree::build(l.clone()).unwrap();
		assert_eq!(tree.root(), l[0]);
		assert_eq!(verify_inclusion(&tree.root(), 1, 0, &l[0], &[]), Ok(()));
		assert_eq!(verify_inclusion(&tree.root(), 1, 1, &l[0], &[]), Err(ProofError::OutOfRange));
	}

	#[test]
	fn empty_and_overflowing_trees_are_refused() {
		assert_eq!(MerkleSumTree::build(vec![]).unwrap_err(), TreeError::Empty);
		let big =
			vec![SumNode { hash: [1; 32], sum: u128::MAX }, SumNode { hash: [2; 32], sum: 1 }];
		assert_eq!(MerkleSumTree::build(big).unwrap_err(), TreeError::Overflow);
	}

	#[test]
	fn proof_with_extra_or_missing_siblings_fails() {
		let l = leaves(&[1, 2, 3, 4, 5]);
		let tree = MerkleSumTree::build(l.clone()).unwrap();
		let mut p = tree.proof(1).unwrap().siblings;
		p.push(l[0]);
		assert_eq!(verify_inclusion(&tree.root(), 5, 1, &l[1], &p), Err(ProofError::WrongLength));
		p.truncate(1);
		assert_eq!(verify_inclusion(&tree.root(), 5, 1, &l[1], &p), Err(ProofError::WrongLength));
	}

	#[test]
	fn inconsistent_root_is_provable_with_its_children() {
		let l = leaves(&[5, 7]);
		let tree = MerkleSumTree::build(l.clone()).unwrap();
		// The proposer declares total 13 for children summing to 12.
		let declared = SumNode { hash: tree.root().hash, sum: 13 };
		let evidence = InconsistentNode {
			level: 1,
			index: 0,
			left: l[0],
			right: l[1],
			claimed_sum: 13,
			siblings: vec![],
		};
		assert_eq!(verify_inconsistent_node(&declared, 2, &evidence), Ok(()));
		// Against the honest declaration the same evidence fails.
		assert_eq!(
			verify_inconsistent_node(&tree.root(), 2, &evidence),
			Err(ProofError::RootMismatch)
		);
		let honest = InconsistentNode { claimed_sum: 12, ..evidence };
		assert_eq!(verify_inconsistent_node(&tree.root(), 2, &honest), Err(ProofError::Consistent));
	}

	#[test]
	fn a_carried_node_is_not_an_inner_node() {
		let l = leaves(&[1, 2, 3]);
		let tree = MerkleSumTree::build(l.clone()).unwrap();
		// (level 1, index 1) is leaf 2 carried up: it has no children to be inconsistent with.
		let evidence = InconsistentNode {
			level: 1,
			index: 1,
			left: l[2],
			right: l[2],
			claimed_sum: 3,
			siblings: tree.path_from(1, 1).unwrap(),
		};
		assert_eq!(
			verify_inconsistent_node(&tree.root(), 3, &evidence),
			Err(ProofError::NotAnInnerNode)
		);
	}

	/// A dishonest tree: the node at (level, index) gets `sum + delta`, everything above is
	/// rehashed over the corrupted sums. Returns the tree and the evidence against it.
	fn dishonest(
		prices: &[u64],
		level: u32,
		index: u64,
		delta: u128,
	) -> (MerkleSumTree, InconsistentNode) {
		let mut tree = MerkleSumTree::build(leaves(prices)).unwrap();
		let honest = tree.node(level, index).unwrap();
		tree.corrupt_sum(level, index, honest.sum + delta).unwrap();
		tree.rehash_above(level);
		let evidence = InconsistentNode {
			level,
			index,
			left: tree.node(level - 1, 2 * index).unwrap(),
			right: tree.node(level - 1, 2 * index + 1).unwrap(),
			claimed_sum: honest.sum + delta,
			siblings: tree.path_from(level, index).unwrap(),
		};
		(tree, evidence)
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		#[test]
		fn every_leaf_proof_verifies(prices in prop::collection::vec(0u64..1_000_000, 1..200)) {
			let l = leaves(&prices);
			let tree = MerkleSumTree::build(l.clone()).unwrap();
			prop_assert_eq!(tree.root().sum, prices.iter().map(|p| u128::from(*p)).sum::<u128>());
			for (i, leaf) in l.iter().enumerate() {
				let proof = tree.proof(i as u64).unwrap();
				prop_assert!(proof.siblings.len() as u32 <= height(l.len() as u64));
				prop_assert_eq!(verify_inclusion(&tree.root(), l.len() as u64, i as u64, leaf, &proof.siblings), Ok(()));
			}
		}

		#[test]
		fn any_change_to_leaf_sum_or_sibling_fails(
			prices in prop::collection::vec(1u64..1_000_000, 2..100),
			pick in any::<prop::sample::Index>(),
			which in 0u8..4,
		) {
			let l = leaves(&prices);
			let n = l.len() as u64;
			let tree = MerkleSumTree::build(l.clone()).unwrap();
			let i = pick.index(l.len());
			let mut leaf = l[i];
			let mut siblings = tree.proof(i as u64).unwrap().siblings;
			let mut root = tree.root();
			match which {
				0 => leaf.sum += 1,
				1 => leaf.hash[0] ^= 1,
				2 => { let s = &mut siblings[0]; s.sum += 1; },
				_ => root.sum -= 1,
			}
			prop_assert!(verify_inclusion(&root, n, i as u64, &leaf, &siblings).is_err());
			// And a proof at the wrong position fails too.
			let wrong = (i as u64 + 1) % n;
			prop_assert!(verify_inclusion(&tree.root(), n, wrong, &l[i], &tree.proof(i as u64).unwrap().siblings).is_err());
		}

		#[test]
		fn a_tree_built_with_a_wrong_sum_is_provable(
			prices in prop::collection::vec(0u64..1_000_000, 2..150),
			level_pick in any::<prop::sample::Index>(),
			index_pick in any::<prop::sample::Index>(),
			delta in 1u128..1_000,
		) {
			let n = prices.len() as u64;
			let level = 1 + level_pick.index(height(n) as usize) as u32;
			// Inner nodes on that level: those with two children below.
			let inner = level_width(n, level - 1) / 2;
			prop_assume!(inner > 0);
			let index = index_pick.index(inner as usize) as u64;
			let (tree, evidence) = dishonest(&prices, level, index, delta);
			prop_assert_eq!(verify_inconsistent_node(&tree.root(), n, &evidence), Ok(()));
			// Against the honest tree's root the same evidence is worthless.
			let honest = MerkleSumTree::build(leaves(&prices)).unwrap();
			prop_assert!(verify_inconsistent_node(&honest.root(), n, &evidence).is_err());
		}
	}
}
