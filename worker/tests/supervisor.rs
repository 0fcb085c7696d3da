//! The supervision every long-running command runs under, through the real binary (its hidden
//! `supervisor-check` command needs no chain): a critical task that fails stops the process
//! with the task's name and a non-zero status, and SIGTERM drains it with status 0.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use std::{
	net::{SocketAddr, TcpListener, TcpStream},
	process::{Child, Command, Output, Stdio},
	time::{Duration, Instant},
};

/// Long enough for a loaded CI machine; a supervised stop takes milliseconds.
const DEADLINE: Duration = Duration::from_secs(8);

fn supervisor_check(args: &[&str]) -> Child {
	Command::new(env!("CARGO_BIN_EXE_ail2-worker"))
		.arg("supervisor-check")
		.args(args)
		.env("RUST_LOG", "info")
		.stdout(Stdio::piped())
		.stderr(Stdio::piped())
		.spawn()
		.unwrap()
}

/// The process's output once it exited; killed (and the test failed) past the deadline.
fn finish(mut child: Child) -> Output {
	let started = Instant::now();
	while child.try_wait().unwrap().is_none() {
		if started.elapsed() > DEADLINE {
			child.kill().unwrap();
			let output = child.wait_with_output().unwrap();
			panic!(
				"ail2-worker did not stop within {DEADLINE:?}: {}{}",
				String::from_utf8_lossy(&output.stdout),
				String::from_utf8_lossy(&output.stderr)
			);
		}
		std::thread::sleep(Duration::from_millis(20));
	}
	child.wait_with_output().unwrap()
}

fn free_address() -> SocketAddr {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

#[test]
fn a_panicking_critical_task_stops_the_process_with_its_name() {
	let output = finish(supervisor_check(&["--fail", "panic", "--after-ms", "50"]));
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(!output.status.success(), "{stderr}");
	assert!(stderr.contains("task probe panicked: the probe was asked to panic"), "{stderr}");
}

#[test]
fn a_failing_critical_task_stops_the_process_with_its_name() {
	let output = finish(supervisor_check(&["--fail", "error", "--after-ms", "50"]));
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(!output.status.success(), "{stderr}");
	assert!(stderr.contains("task probe failed: the probe was asked to fail"), "{stderr}");
}

#[test]
fn sigterm_drains_every_task_and_exits_cleanly() {
	let address = free_address();
	let child = supervisor_check(&["--listen", &address.to_string()]);
	// The handlers are installed before the listener: once it accepts, SIGTERM is handled.
	let started = Instant::now();
	while TcpStream::connect(address).is_err() {
		assert!(started.elapsed() < DEADLINE, "ail2-worker never listened on {address}");
		std::thread::sleep(Duration::from_millis(20));
	}
	let pid = libc::pid_t::try_from(child.id()).unwrap();
	// SAFETY: `kill` only sends a signal, to the child this test started.
	assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
	let output = finish(child);
	let stdout = String::from_utf8_lossy(&output.stdout);
	assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
	assert!(stdout.contains("shutdown requested"), "{stdout}");
}
