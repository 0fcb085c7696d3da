//! Where the registry comes from: the chain's registered workers and active models, or a
//! fixed list in tests.

use std::convert::Infallible;

use ail2_chain::{ChainClient, ChainError, RegisteredModel, RegisteredWorker};

pub trait RegistrySource: Send + Sync + 'static {
	/// Why the registry could not be read.
	type Error: std::error::Error + Send;

	fn workers(
		&self,
	) -> impl std::future::Future<Output = Result<Vec<RegisteredWorker>, Self::Error>> + Send;

	fn models(
		&self,
	) -> impl std::future::Future<Output = Result<Vec<RegisteredModel>, Self::Error>> + Send;
}

impl RegistrySource for ChainClient {
	type Error = ChainError;

	async fn workers(&self) -> Result<Vec<RegisteredWorker>, ChainError> {
		ChainClient::workers(self).await
	}

	async fn models(&self) -> Result<Vec<RegisteredModel>, ChainError> {
		self.active_models().await
	}
}

/// A registry that never changes.
pub struct StaticSource {
	pub workers: Vec<RegisteredWorker>,
	pub models: Vec<RegisteredModel>,
}

impl RegistrySource for StaticSource {
	type Error = Infallible;

	async fn workers(&self) -> Result<Vec<RegisteredWorker>, Infallible> {
		Ok(self.workers.clone())
	}

	async fn models(&self) -> Result<Vec<RegisteredModel>, Infallible> {
		Ok(self.models.clone())
	}
}
