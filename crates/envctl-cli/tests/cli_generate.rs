//! `envctl completions` and `envctl man`, generated from the clap definitions:
//! every subcommand is in them.

mod support;

use support::Test;

const SUBCOMMANDS: [&str; 8] = [
    "up", "down", "ps", "config", "logs", "port", "top", "images",
];

#[test]
fn completions_cover_every_subcommand_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let output = Test::new().envctl(&["completions", shell]);
        assert_eq!(output.code, Some(0), "{shell}: {}", output.render());
        for subcommand in SUBCOMMANDS {
            assert!(
                output.stdout.contains(subcommand),
                "{shell} completions lack `{subcommand}`"
            );
        }
    }
    let bash = Test::new().envctl(&["completions", "bash"]);
    assert!(
        bash.stdout.contains("complete -F _envctl"),
        "{}",
        bash.stdout
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error_exit_1_as_1_29_2() {
    let output = Test::new().envctl(&["completions", "tcsh"]);
    assert_eq!(output.code, Some(1), "{}", output.render());
}

#[test]
fn the_man_page_has_a_section_per_subcommand_with_its_example() {
    let output = Test::new().envctl(&["man"]);
    assert_eq!(output.code, Some(0), "{}", output.render());
    assert!(output.stdout.contains(".TH envctl 1"));
    for subcommand in SUBCOMMANDS {
        let heading = format!(".SH \"ENVCTL {}\"", subcommand.to_uppercase());
        assert!(output.stdout.contains(&heading), "no `{heading}`");
    }
    assert!(
        output.stdout.contains("envctl port web 80"),
        "port's example"
    );
}

#[test]
fn every_everyday_command_has_an_example_in_its_help() {
    for subcommand in [
        "up",
        "down",
        "ps",
        "config",
        "graph",
        "logs",
        "run",
        "exec",
        "stop",
        "start",
        "restart",
        "kill",
        "pause",
        "unpause",
        "rm",
        "port",
        "top",
        "images",
        "version",
        "completions",
    ] {
        let output = Test::new().envctl(&[subcommand, "--help"]);
        assert_eq!(output.code, Some(0), "{subcommand}: {}", output.render());
        assert!(
            output.stdout.contains("Example"),
            "`envctl {subcommand} --help` has no example:\n{}",
            output.stdout
        );
    }
}
