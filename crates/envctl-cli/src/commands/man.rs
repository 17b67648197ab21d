//! `envctl man`: the manual page, generated from the clap definitions in
//! `args.rs`, so that it never drifts from the real command line.

use std::io::Write as _;

use clap::CommandFactory as _;

use crate::args::Args;
use crate::failure::Failure;

/// `envctl.1`: the top-level page, then a section per subcommand with its synopsis,
/// description, options and example (`clap_mangen`'s sections, demoted to
/// subsections).
pub fn run() -> Result<(), Failure> {
    let command = Args::command();
    let mut page = Vec::new();
    let manual = clap_mangen::Man::new(command.clone());
    manual.render_title(&mut page)?;
    manual.render_name_section(&mut page)?;
    manual.render_synopsis_section(&mut page)?;
    manual.render_description_section(&mut page)?;
    manual.render_options_section(&mut page)?;
    manual.render_subcommands_section(&mut page)?;
    for subcommand in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let name = subcommand.get_name();
        writeln!(page, ".SH \"ENVCTL {}\"", name.to_uppercase())?;
        let mut sub = subcommand.clone().bin_name(format!("envctl {name}"));
        sub.build();
        let sub_manual = clap_mangen::Man::new(sub);
        let mut section = Vec::new();
        sub_manual.render_synopsis_section(&mut section)?;
        sub_manual.render_description_section(&mut section)?;
        sub_manual.render_options_section(&mut section)?;
        sub_manual.render_extra_section(&mut section)?;
        let section = String::from_utf8_lossy(&section).replace("\n.SH ", "\n.SS ");
        page.extend_from_slice(section.trim_start_matches(".SH ").as_bytes());
    }
    manual.render_extra_section(&mut page)?;
    manual.render_version_section(&mut page)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&page)?;
    stdout.flush()?;
    Ok(())
}
