//! `--input NAME=VALUE`: values of an OpenQASM 3 program's `input` variables, given at the
//! command line.

/// Values of the program's `input` variables.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct InputArgs {
    /// Value of an OpenQASM 3 `input` variable, as NAME=VALUE (repeatable), read as the
    /// variable's declared type: `--input theta=0.3 --input n=4 --input flags=0101`.
    #[arg(long = "input", value_name = "NAME=VALUE", value_parser = parse_input)]
    pub inputs: Vec<(String, String)>,
}

fn parse_input(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!("'{text}' is not NAME=VALUE")),
    }
}
