//! One module per subcommand.

pub mod assemble;
pub mod compile;
pub mod decode;
pub mod inspect;
pub mod lowering;
pub mod sim;
pub mod train;

/// An error a command reports: the message is printed after `error: `.
pub type CmdResult = Result<(), Box<dyn std::error::Error>>;
