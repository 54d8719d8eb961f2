//! One module per subcommand.

pub mod compile;
pub mod inspect;
pub mod sim;

/// An error a command reports: the message is printed after `error: `.
pub type CmdResult = Result<(), Box<dyn std::error::Error>>;
