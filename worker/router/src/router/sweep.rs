//! The vectorised sweep: `f32` copies of what bounds each worker's UCB, eight workers to a
//! [`Block`], so a decision rules most of a fleet out with vector arithmetic before it
//! looks at any worker in `f64`.
//!
//! The sweep is only a filter. Whatever it keeps, the decision looks at again in `f64`
//! (`decision.rs`), and it errs on the side of keeping: values are rounded towards keeping
//! and [`SWEEP_MARGIN`] covers the rest of `f32`'s rounding. So a router makes the same
//! decisions with and without it (`the_sweep_changes_no_decision`).
//!
//! Warm workers are bounded ([`bound_block`], φ_l's bound from
//! [`factors::latency_gain_below_f32`]); cold ones are not bounded but take turns
//! ([`turn_block`]), at most `cold_candidates` of them per decision.

use crate::factors;

use super::{
	decision::{Gate, Terms},
	tracking::{Wait, AVAILABLE, COLD},
	Router,
};

/// Workers per [`Block`].
pub(super) const BLOCK: usize = 8;

/// `f32` copies of what bounds the UCB of eight workers, field by field, so the sweep over a
/// fleet runs as vector arithmetic with no branch per worker. Only a filter: whatever it
/// keeps is looked at again in `f64`, and it errs on the side of keeping.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Block {
	/// `fixed + w_c + w_p`: the score's request-independent part with φ_c ≤ 1, and φ_p = 1
	/// for a client whose location is unknown.
	far: [f32; BLOCK],
	/// `fixed + w_c + w_p·φ_p` for the router's client location.
	near: [f32; BLOCK],
	bonus_sqrt: [f32; BLOCK],
	bonus_linear: [f32; BLOCK],
	/// `RTT + W_q` when known, else 0 (no wait: the bound stays an upper bound).
	wait: [f32; BLOCK],
	/// A saturated worker's `until_ms` rounded down (−∞ when not saturated): before it, its
	/// latency is `saturated_latency_ms`.
	saturated_until: [f32; BLOCK],
	slowness: [f32; BLOCK],
	vram_mib: [f32; BLOCK],
	cuda: [f32; BLOCK],
	/// [`SKIP`], [`BOUND`] or [`VISIT`].
	mode: [f32; BLOCK],
	/// `mode`, or [`SKIP`] where the worker lacks the VRAM or CUDA of the router's
	/// `requirement` (a model's requests all ask the same).
	ready: [f32; BLOCK],
}

/// Not available (or no worker in this slot).
const SKIP: f32 = 0.0;
/// Bounded by the sweep.
const BOUND: f32 = 1.0;
/// Always looked at (cold workers take turns in order).
const VISIT: f32 = 2.0;

/// A worker's mode for a request needing `requirement`: [`SKIP`] if it lacks the VRAM or
/// CUDA. From the blocks' `f32` copies (rounding to `f32` is monotonic: what fits still fits).
fn ready(mode: f32, vram_mib: f32, cuda: f32, (need_vram, need_cuda): (u32, u16)) -> f32 {
	if vram_mib >= need_vram as f32 && cuda >= f32::from(need_cuda) {
		mode
	} else {
		SKIP
	}
}

/// `value` as the largest `f32` not above it.
fn round_down(value: f64) -> f32 {
	let rounded = value as f32;
	if f64::from(rounded) > value {
		rounded.next_down()
	} else {
		rounded
	}
}

/// `value` as the smallest `f32` not below it.
fn round_up(value: f64) -> f32 {
	let rounded = value as f32;
	if f64::from(rounded) < value {
		rounded.next_up()
	} else {
		rounded
	}
}

/// What the `f32` sweep gives away to rounding: it keeps a worker unless its bound is below
/// the bar by more than this.
const SWEEP_MARGIN: f64 = 1e-5;

/// A decision's numbers for the `f32` sweep.
struct Kernel {
	sqrt_log_t: f32,
	log_t: f32,
	/// `λ_l / lat_baseline` ([`factors::latency_rate`]).
	rate: f32,
	/// The request's compute time on the reference GPU.
	reference: f32,
	/// The bar less [`SWEEP_MARGIN`].
	bar: f32,
	now: f32,
	saturated: f32,
	/// `w_l` enlarged by [`SWEEP_MARGIN`].
	latency_weight: f32,
}

/// Marks in `keep` the warm workers of block `b` whose UCB bound reaches the kernel's bar
/// (`anchor`: the block's fixed part for this request's client): the bound of
/// [`Terms::below`], with φ_l's bound from [`factors::latency_gain_below_f32`].
#[inline]
fn bound_block(b: &Block, anchor: &[f32; BLOCK], keep: &mut [bool; BLOCK], k: &Kernel) {
	// One index over the arrays is what the compiler turns into vector code.
	#[allow(clippy::needless_range_loop)]
	for j in 0..BLOCK {
		let bound = anchor[j] + b.bonus_sqrt[j] * k.sqrt_log_t + b.bonus_linear[j] * k.log_t;
		// Branch-free, so the loop stays vector arithmetic.
		let waiting = f32::from(u8::from(k.now < b.saturated_until[j]));
		let latency =
			waiting * k.saturated + (1.0 - waiting) * (b.wait[j] + k.reference * b.slowness[j]);
		let below =
			factors::latency_gain_below_f32(k.latency_weight, k.rate, latency, k.bar - bound);
		keep[j] = (b.ready[j] == BOUND) & !below;
	}
}

/// Marks in `keep` the cold workers of block `b` that meet the request's VRAM and CUDA:
/// they are not bounded, only whether it is one's turn matters (§5.4.3).
#[inline]
fn turn_block(b: &Block, keep: &mut [bool; BLOCK]) {
	for (keep, &ready) in keep.iter_mut().zip(&b.ready) {
		*keep = ready == VISIT;
	}
}

impl Router {
	/// Copies worker `index`'s bounds from its lane into its block (clears the slot when
	/// there is no such worker).
	pub(super) fn mirror(&mut self, index: usize) {
		let (block, slot) = (index / BLOCK, index % BLOCK);
		if self.blocks.len() <= block {
			self.blocks.resize(block + 1, Block::default());
		}
		let Some(b) = self.blocks.get_mut(block) else { return };
		if b.mode.get(slot) == Some(&VISIT) {
			self.cold_lanes = self.cold_lanes.saturating_sub(1);
		}
		let Some(lane) = self.lanes.get(index) else {
			if let Some(mode) = b.mode.get_mut(slot) {
				*mode = SKIP;
			}
			return;
		};
		let mode = if lane.flags & AVAILABLE == 0 {
			SKIP
		} else if lane.flags & COLD != 0 {
			VISIT
		} else {
			BOUND
		};
		if mode == VISIT {
			self.cold_lanes += 1;
		}
		let wait = if lane.wait_ms.is_nan() { 0.0 } else { lane.wait_ms };
		let until = match self.cached.get(index).map(|cached| cached.wait) {
			Some(Wait::Saturated { until_ms }) => until_ms,
			_ => f64::NEG_INFINITY,
		};
		if let Some(entry) = b.saturated_until.get_mut(slot) {
			*entry = round_down(until);
		}
		let fixed = lane.fixed + self.config.weights.cost;
		let proximity = self.config.weights.proximity;
		let fields: [(&mut [f32; BLOCK], f64); 10] = [
			(&mut b.far, fixed + proximity),
			(&mut b.near, fixed + proximity * lane.proximity),
			(&mut b.bonus_sqrt, lane.bonus.sqrt),
			(&mut b.bonus_linear, lane.bonus.linear),
			(&mut b.wait, wait),
			(&mut b.slowness, lane.slowness),
			(&mut b.vram_mib, f64::from(lane.vram_mib)),
			(&mut b.cuda, f64::from(lane.cuda)),
			(&mut b.mode, f64::from(mode)),
			(
				&mut b.ready,
				f64::from(ready(
					mode,
					lane.vram_mib as f32,
					f32::from(lane.cuda),
					self.requirement,
				)),
			),
		];
		for (field, value) in fields {
			if let Some(entry) = field.get_mut(slot) {
				*entry = value as f32;
			}
		}
	}

	/// Points the blocks' `ready` at a request's VRAM and CUDA.
	pub(super) fn require(&mut self, requirement: (u32, u16)) {
		if self.requirement == requirement {
			return;
		}
		self.requirement = requirement;
		for b in &mut self.blocks {
			for (((ready, &mode), &vram), &cuda) in
				b.ready.iter_mut().zip(&b.mode).zip(&b.vram_mib).zip(&b.cuda)
			{
				*ready = self::ready(mode, vram, cuda, requirement);
			}
		}
	}

	/// Appends to `kept`, in order, the workers of positions `range` that meet the request's
	/// VRAM and CUDA and may reach `bar`: the `cold` ones while `cold_left` lasts (every
	/// cold one when other constraints remain to be checked), or the warm ones whose UCB
	/// bound (as [`Terms::below`], in `f32`, with [`SWEEP_MARGIN`] to spare) reaches it.
	#[allow(clippy::too_many_arguments)]
	#[inline(never)]
	pub(super) fn sweep_blocks(
		&self,
		gate: &Gate,
		terms: &Terms,
		cold: bool,
		bar: f64,
		range: std::ops::Range<usize>,
		cold_left: &mut usize,
		kept: &mut Vec<usize>,
	) {
		if range.is_empty() {
			return;
		}
		let first = range.start / BLOCK;
		let last = (range.end - 1) / BLOCK;
		let near = gate.request.client.is_some();
		let kernel = Kernel {
			sqrt_log_t: terms.sqrt_log_t as f32,
			log_t: terms.log_t as f32,
			rate: terms.latency_rate as f32,
			reference: gate.reference_ms as f32,
			bar: (bar - SWEEP_MARGIN) as f32,
			now: round_up(gate.now_ms),
			saturated: round_down(self.config.saturated_latency_ms),
			latency_weight: (terms.latency_weight * (1.0 + SWEEP_MARGIN)) as f32,
		};
		let blocks = self.blocks.get(first..=last).unwrap_or_default();
		for (number, b) in (first..).zip(blocks) {
			// The cold workers whose turn it is have all been found.
			if cold && !gate.slow && *cold_left == 0 {
				return;
			}
			let anchor = if near { &b.near } else { &b.far };
			let mut keep = [false; BLOCK];
			if cold {
				turn_block(b, &mut keep);
			} else {
				bound_block(b, anchor, &mut keep, &kernel);
			}
			let mut mask = keep.iter().rev().fold(0u32, |mask, &keep| mask << 1 | u32::from(keep));
			if mask == 0 {
				continue;
			}
			// Only the first and last blocks reach outside `range`.
			let base = number * BLOCK;
			if base < range.start || base + BLOCK > range.end {
				for (j, slot) in (base..base + BLOCK).enumerate() {
					if !range.contains(&slot) {
						mask &= !(1 << j);
					}
				}
			}
			while mask != 0 {
				let j = mask.trailing_zeros() as usize;
				mask &= mask - 1;
				let index = base + j;
				if cold && !gate.slow {
					if *cold_left == 0 {
						continue;
					}
					*cold_left -= 1;
				}
				kept.push(index);
			}
		}
	}
}
