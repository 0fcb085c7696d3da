//! The typed API is generated from `metadata/ail2.scale` by a proc macro that does not tell
//! cargo it read the file: this makes a refreshed metadata file rebuild the crate.
fn main() {
	println!("cargo:rerun-if-changed=metadata/ail2.scale");
}
