//! The AWS CLI's rules, in one crate without the AWS SDK (so its tests build in seconds and
//! the daemon, its resolver child and the doctor share one copy):
//!
//! - [`files`]: the config and credentials files parsed exactly as botocore parses them;
//!   [`shared`]: the two files of one environment, as the chain reads them;
//! - [`select`]: the environment as the CLI reads it: which profile, where the files are,
//!   which region;
//! - [`chain`]: the credential chain in botocore's order, walked once into a
//!   [`chain::Plan`]: the source that answers, the inputs its answer depends on, or the
//!   CLI's error; [`errors`]: the CLI's sentences;
//! - [`process`] (with [`shlex`], [`process_output`], [`pyjson`], [`pyfmt`], [`timestamp`]):
//!   running a `credential_process` as botocore does; [`cli_cache`]: the CLI's cache of
//!   assumed-role credentials; [`credentials`]: credentials that wipe themselves;
//! - [`expiry`]: the expiry the credential tools export.
//!
//! The daemon fingerprints a plan's inputs, the resolver child executes a plan, and the
//! doctor words one. Nothing else decides a rule of the chain.

pub mod chain;
pub mod cli_cache;
pub mod credentials;
pub mod errors;
pub mod expiry;
pub mod files;
pub mod process;
pub mod process_output;
pub mod pyfmt;
pub mod pyjson;
pub mod select;
pub mod shared;
pub mod shlex;
pub mod timestamp;
