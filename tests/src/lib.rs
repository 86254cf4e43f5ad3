//! Test support for awsid's end-to-end tests: moto_server, a fault-injecting fake STS, and a
//! harness that runs the real `awsid` client against a real `awsidd` in a private runtime dir,
//! and the terminal tools the shell tests drive.

pub mod diff;
pub mod fake_sso;
pub mod fake_sts;
pub mod harness;
pub mod moto;
pub mod rng;
pub mod term;
