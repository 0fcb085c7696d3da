//! Seed secrets between commit and reveal: written to disk (0600) before their commitment is
//! submitted, so that a restart in between still reveals (a withheld reveal is slashed).

use std::path::Path;

use ail2_primitives::Hash;

use super::RaceError;

/// The secret for `race` in `dir`: read from disk, or (when `create`) drawn at random and
/// written before anyone sees its commitment.
pub(super) fn secret_for(dir: &Path, race: u32, create: bool) -> Result<Hash, RaceError> {
	let path = dir.join(format!("race-{race}.secret"));
	if let Ok(text) = std::fs::read_to_string(&path) {
		return hex::decode(text.trim())
			.ok()
			.and_then(|bytes| bytes.try_into().ok())
			.ok_or(RaceError::CorruptSecret { path });
	}
	if !create {
		return Err(RaceError::NoSecret { race, path });
	}
	let mut secret = [0u8; 32];
	rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
	let tmp = path.with_extension("tmp");
	let io = |error| RaceError::Io { action: "writing", path: tmp.clone(), error };
	std::fs::write(&tmp, hex::encode(secret)).map_err(io)?;
	{
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
	}
	std::fs::rename(&tmp, &path).map_err(io)?;
	Ok(secret)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_committed_secret_survives_a_restart_and_stays_private() {
		let dir = tempfile::tempdir().unwrap();
		let dir = dir.path();
		// Nothing kept yet: revealing is impossible, committing draws one.
		assert!(secret_for(dir, 7, false).is_err());
		let secret = secret_for(dir, 7, true).unwrap();
		// The same secret after a "restart" (read back from disk), for commit and reveal.
		assert_eq!(secret_for(dir, 7, false).unwrap(), secret);
		assert_eq!(secret_for(dir, 7, true).unwrap(), secret);
		// Another race gets another secret.
		assert_ne!(secret_for(dir, 8, true).unwrap(), secret);
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = std::fs::metadata(dir.join("race-7.secret")).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600);
		}
	}

	#[test]
	fn a_corrupt_secret_file_is_an_error_not_a_new_secret() {
		let dir = tempfile::tempdir().unwrap();
		std::fs::write(dir.path().join("race-3.secret"), "abcd").unwrap();
		assert!(secret_for(dir.path(), 3, true).is_err());
	}
}
