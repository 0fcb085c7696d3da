//! Weights of the AIL2 pallets, measured by their frame benchmarks on the reference machine
//! and written by `scripts/benchmarks.sh`. Storage costs come from the runtime's
//! `DbWeight` (ParityDB).

pub mod pallet_challenges;
pub mod pallet_issuance;
pub mod pallet_models;
pub mod pallet_poi;
pub mod pallet_race;
pub mod pallet_receipts;
pub mod pallet_slashing;
pub mod pallet_workers;
