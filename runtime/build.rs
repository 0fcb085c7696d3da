fn main() {
	#[cfg(feature = "std")]
	{
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
		// Dev and test builds (`fast-runtime`) also build the upgrade rehearsal: the same
		// runtime with `spec_version` one up, which the end-to-end test upgrades a running
		// chain to. It shares the first build's dependencies, so it costs one more compile of
		// this crate and one more compaction, and it is written to
		// `wbuild/ail2-runtime/upgrade_rehearsal.rs.compact.compressed.wasm` beside the real
		// runtime, which it never replaces.
		if std::env::var_os("CARGO_FEATURE_FAST_RUNTIME").is_some()
			&& std::env::var_os("CARGO_FEATURE_UPGRADE_REHEARSAL").is_none()
		{
			substrate_wasm_builder::WasmBuilder::init_with_defaults()
				.set_file_name("upgrade_rehearsal.rs")
				.enable_feature("upgrade-rehearsal")
				.build();
		}
	}
}
