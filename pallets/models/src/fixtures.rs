//! One example model's container metadata, shared by every pallet's tests, the benchmarks
//! and the runtime's integration tests so that a new metadata field is filled in one place.
//!
//! A test that depends on a particular price or split states it with struct update syntax:
//! `ContainerMetadata { pricing: my_pricing(), ..fixtures::metadata() }`.

use crate::{Constraints, ContainerMetadata, GpuRequirement, Qos, RevenueSplit, SecurityPolicy};
use ail2_primitives::billing::{BillingMode, PricingPolicy};
use frame_support::BoundedVec;
use pallet_workers::CudaVersion;
use sp_runtime::Perbill;

/// A token-billed model for an 8 GiB, CUDA 12.0 GPU: 10 + 1,000 per 1k input tokens + 3,000
/// per 1k output tokens (at least 10, at most 1,000,000), split 70/20/7/3 between worker,
/// model owner, treasury and ecosystem, anywhere, without spot checks.
pub fn metadata() -> ContainerMetadata {
	ContainerMetadata {
		image_digest: [1; 32],
		gpu: GpuRequirement {
			min_vram_mib: 8_192,
			min_cuda: CudaVersion { major: 12, minor: 0 },
			gpu_count: 1,
		},
		pricing: PricingPolicy {
			mode: BillingMode::Token,
			token_base: 10,
			per_1k_input_tokens: 1_000,
			per_1k_output_tokens: 3_000,
			time_base: 0,
			per_gpu_second: 0,
			min_fee: 10,
			max_fee: 1_000_000,
		},
		compute_units_per_token: 1,
		constraints: Constraints { allowed_regions: BoundedVec::new(), max_latency_ms: 5_000 },
		revenue_split: RevenueSplit {
			worker: Perbill::from_percent(70),
			model_owner: Perbill::from_percent(20),
			treasury: Perbill::from_percent(7),
			ecosystem: Perbill::from_percent(3),
		},
		qos: Qos { min_success_rate: Perbill::from_percent(99), target_p99_latency_ms: 2_000 },
		security: SecurityPolicy {
			require_attestation: false,
			allow_network: false,
			spot_check_rate: Perbill::zero(),
		},
	}
}
