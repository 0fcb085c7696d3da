//! The one place the burn backend is chosen.

pub use burn::tensor::Device;

/// The device models run on: wgpu when the crate is built with the `wgpu` feature and
/// `AIL2_BACKEND` is not `flex`, otherwise burn's pure-Rust CPU backend, flex.
pub fn default_device() -> Device {
	#[cfg(feature = "wgpu")]
	if std::env::var("AIL2_BACKEND").map_or(true, |backend| backend != "flex") {
		return Device::wgpu(Default::default());
	}
	Device::flex()
}

/// The name of the backend [`default_device`] picks, for logs and metrics.
pub fn backend_name() -> &'static str {
	#[cfg(feature = "wgpu")]
	if std::env::var("AIL2_BACKEND").map_or(true, |backend| backend != "flex") {
		return "wgpu";
	}
	"flex"
}
