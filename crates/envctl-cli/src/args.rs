//! The command line, as docker-compose 1.29.2 spells it (clap derive).

use std::path::PathBuf;

use clap::{Args as ClapArgs, CommandFactory as _, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "envctl",
    version,
    disable_version_flag = true,
    about = "Define and run multi-container environments from docker-compose files",
    after_help = "Exit codes: 0 success; 1 compose file, invocation, usage, failed step, engine unreachable or refused (as docker-compose 1.29.2); 130 interrupted (SIGINT), 143 terminated (SIGTERM)\n\nAs docker-compose 1.29.2 writes them:\n  Usage: docker-compose [-f <arg>...] [--profile <name>...] [options] [--] [COMMAND] [ARGS...]\n  -f, --file FILE  -p, --project-name NAME  -c, --context NAME  -H, --host HOST  --log-level LEVEL"
)]
pub struct Args {
    /// Print version and exit (`-v` as docker-compose spells it, `-V` as clap does)
    #[arg(short = 'v', long = "version", short_alias = 'V', action = clap::ArgAction::Version)]
    pub version: Option<bool>,
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// First of a command's own options in its help: after every global option.
const COMMAND_OPTIONS_ORDER: usize = 1000;

/// The command line with each command's help listing the global options first,
/// then the command's own (as `docker-compose help <command>` reads: the usage
/// line, then the options a user already knows). Clap numbers the options of each
/// command from 0, so a command's own are moved after the globals, which keep the
/// order they are declared in.
pub fn command() -> clap::Command {
    Args::command().mut_subcommands(|subcommand| {
        let mut next = COMMAND_OPTIONS_ORDER;
        subcommand
            .mut_args(|argument| {
                if argument.is_positional() {
                    return argument;
                }
                next += 1;
                argument.display_order(next)
            })
            // `-h, --help` last, after the command's own options.
            .disable_help_flag(true)
            .arg(
                clap::Arg::new("help")
                    .short('h')
                    .long("help")
                    .help("Print help")
                    .action(clap::ArgAction::Help)
                    .display_order(usize::MAX),
            )
    })
}

/// Parses the process's arguments with [`command`] (after [`compose_file_short`]).
///
/// # Errors
///
/// clap's: a usage error, or `--help`/`--version` to print.
pub fn parse() -> Result<Args, clap::Error> {
    let mut command = command();
    let arguments = compose_file_short(std::env::args_os().collect());
    let matches = command.try_get_matches_from_mut(arguments)?;
    <Args as clap::FromArgMatches>::from_arg_matches(&matches)
        .map_err(|error| error.format(&mut command))
}

#[derive(Debug, Clone, ClapArgs)]
pub struct GlobalArgs {
    /// Specify an alternate compose file (default: docker-compose.yml)
    #[arg(short = 'f', long = "file", value_name = "FILE", global = true)]
    pub files: Vec<PathBuf>,
    /// Specify an alternate project name (default: directory name)
    #[arg(short = 'p', long = "project-name", value_name = "NAME", global = true)]
    pub project_name: Option<String>,
    /// Specify an alternate working directory (default: the path of the compose file)
    #[arg(long, value_name = "PATH", global = true)]
    pub project_directory: Option<PathBuf>,
    /// Specify an alternate environment file
    #[arg(long, value_name = "PATH", global = true)]
    pub env_file: Option<PathBuf>,
    /// Specify a profile to enable (default: `COMPOSE_PROFILES`, comma-separated)
    #[arg(long = "profile", value_name = "NAME", global = true)]
    pub profiles: Vec<String>,
    /// Do not print ANSI control characters
    #[arg(long, global = true)]
    pub no_ansi: bool,
    /// Show more output
    #[arg(long, global = true)]
    pub verbose: bool,
    /// Daemon socket to connect to (default: `DOCKER_HOST`, else the local socket)
    #[arg(short = 'H', long = "host", value_name = "HOST", global = true)]
    pub host: Option<String>,
    /// Specify a context name
    #[arg(short = 'c', long = "context", value_name = "NAME", global = true)]
    pub context: Option<String>,
    /// Set log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)
    #[arg(long, value_name = "LEVEL", global = true)]
    pub log_level: Option<String>,
    /// Use TLS; implied by --tlsverify
    #[arg(long, global = true)]
    pub tls: bool,
    /// Trust certs signed only by this CA (default: `$DOCKER_CERT_PATH/ca.pem`)
    #[arg(long, value_name = "CA_PATH", global = true)]
    pub tlscacert: Option<PathBuf>,
    /// Path to TLS certificate file (default: `$DOCKER_CERT_PATH/cert.pem`)
    #[arg(long, value_name = "CLIENT_CERT_PATH", global = true)]
    pub tlscert: Option<PathBuf>,
    /// Path to TLS key file (default: `$DOCKER_CERT_PATH/key.pem`)
    #[arg(long, value_name = "TLS_KEY_PATH", global = true)]
    pub tlskey: Option<PathBuf>,
    /// Use TLS and verify the remote (default: `DOCKER_TLS_VERIFY`)
    #[arg(long, global = true)]
    pub tlsverify: bool,
    /// Don't check the daemon's hostname against the name in its certificate (the CA is still checked)
    #[arg(long, global = true)]
    pub skip_hostname_check: bool,
    /// How to show progress: `tty` (live, on a terminal), `plain` (a line per change) or `json` (an object per line); default: `tty` on a terminal, else `plain`
    #[arg(long, value_name = "MODE", global = true)]
    pub progress: Option<ProgressMode>,
}

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Tty,
    Plain,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and start containers
    #[command(
        override_usage = "up [options] [--scale SERVICE=NUM...] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl up -d                # every service, in the background\n  envctl up -d --no-deps web  # only web, leaving its dependencies alone\n  envctl up --dry-run         # print the plan, touch nothing"
    )]
    Up(UpArgs),
    /// Create services (`up --no-start`)
    #[command(
        override_usage = "create [options] [SERVICE...]",
        after_help = "Examples:\n  envctl create                   # every service's containers, created and not started\n  envctl create --force-recreate web"
    )]
    Create(CreateArgs),
    /// Receive real time events from containers
    #[command(
        override_usage = "events [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl events                   # a line per event of the project's containers\n  envctl events --json web        # a JSON object per line, only web's"
    )]
    Events(EventsArgs),
    /// Set number of containers for a service (deprecated: use `up --scale`)
    #[command(
        override_usage = "scale [options] [SERVICE=NUM...]",
        after_help = "Examples:\n  envctl scale web=3 worker=2     # three web containers, two worker ones\n  envctl scale worker=0           # stop and remove worker's containers"
    )]
    Scale(ScaleArgs),
    /// Stop and remove containers
    #[command(
        override_usage = "down [options]",
        after_help = "Examples:\n  envctl down                 # stop and remove the containers and networks; volumes are kept\n  envctl down -v              # also remove the named volumes of the file and the anonymous ones\n  envctl down --rmi local     # also remove the images built for services without an `image`"
    )]
    Down(DownArgs),
    /// List containers
    #[command(
        override_usage = "ps [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl ps                   # the project's containers, as a table\n  envctl ps -q web            # only web's container ids"
    )]
    Ps(PsArgs),
    /// Validate and view the compose file
    #[command(
        override_usage = "config [options]",
        after_help = "Examples:\n  envctl config               # the resolved file, every -f and extends merged\n  envctl config --services    # the services, in dependency order"
    )]
    Config(ConfigArgs),
    /// Show the services' dependency graph, with the kind of each edge
    #[command(
        after_help = "Examples:\n  envctl graph                # a tree\n  envctl graph --format dot | dot -Tsvg > graph.svg"
    )]
    Graph(GraphArgs),
    /// Show the version of envctl and of the engine it talks to
    #[command(
        override_usage = "version [--short]",
        after_help = "Examples:\n  envctl version              # envctl's, the engine's and the API versions\n  envctl version --short      # only envctl's version number"
    )]
    Version(VersionArgs),
    /// Serve whole environments on demand over HTTP
    #[command(
        after_help = "Examples:\n  envctl serve --templates ./templates --tokens tokens.txt\n  envctl serve --listen 127.0.0.1:8080 --templates ./templates --tokens tokens.txt --allow-inline"
    )]
    Serve(Box<ServeArgs>),
    /// Show the engine envctl talks to: address, versions, system
    #[command(
        after_help = "Examples:\n  envctl info\n  eval $(docker-machine env dev) && envctl info   # the machine's engine, over TLS"
    )]
    Info,
    /// Print the public port for a port binding
    #[command(
        override_usage = "port [options] [--] SERVICE PRIVATE_PORT",
        after_help = "Examples:\n  envctl port web 80          # 0.0.0.0:32768\n  envctl port --protocol udp --index 2 dns 53"
    )]
    Port(PortArgs),
    /// Display the running processes
    #[command(
        override_usage = "top [SERVICE...]",
        after_help = "Examples:\n  envctl top                  # every service's processes\n  envctl top web db           # only web's and db's"
    )]
    Top(ServicesArgs),
    /// List images used by the created containers
    #[command(
        override_usage = "images [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl images               # the images of the project's containers\n  envctl images -q web        # only web's image id"
    )]
    Images(ImagesArgs),
    /// Deploy the project to a Swarm cluster, and list or remove stacks
    #[command(
        subcommand,
        after_help = "Examples:\n  DOCKER_HOST=ssh://manager envctl stack deploy --dry-run   # the plan, nothing changed\n  envctl stack deploy myapp   # create or update the stack, wait until it converged\n  envctl stack ps myapp       # its tasks; `envctl stack rm myapp` removes it"
    )]
    Stack(StackCommand),
    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  envctl completions bash > /etc/bash_completion.d/envctl\n  envctl completions zsh > \"${fpath[1]}/_envctl\"\n  envctl completions fish > ~/.config/fish/completions/envctl.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    #[command(
        after_help = "Examples:\n  envctl man > envctl.1 && man ./envctl.1\n  envctl man | gzip > /usr/local/share/man/man1/envctl.1.gz"
    )]
    Man,
    /// Stop running containers without removing them
    #[command(
        override_usage = "stop [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl stop                 # stop every service's containers\n  envctl stop -t 2 web        # stop web's containers, SIGKILL after 2 s"
    )]
    Stop(StopArgs),
    /// Start existing containers
    #[command(
        override_usage = "start [SERVICE...]",
        after_help = "Examples:\n  envctl start                # start every stopped container of the project\n  envctl start db web         # start db's containers, then web's"
    )]
    Start(ServicesArgs),
    /// Restart services
    #[command(
        override_usage = "restart [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl restart              # restart every service\n  envctl restart -t 2 web     # restart web, SIGKILL after 2 s"
    )]
    Restart(RestartArgs),
    /// Force stop service containers
    #[command(
        override_usage = "kill [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl kill                 # SIGKILL every running container\n  envctl kill -s SIGINT web   # send SIGINT to web's containers"
    )]
    Kill(KillArgs),
    /// Pause services
    #[command(
        override_usage = "pause [SERVICE...]",
        after_help = "Examples:\n  envctl pause                # pause every service\n  envctl pause web            # pause only web's containers"
    )]
    Pause(ServicesArgs),
    /// Unpause services
    #[command(
        override_usage = "unpause [SERVICE...]",
        after_help = "Examples:\n  envctl unpause              # unpause every service\n  envctl unpause web          # unpause only web's containers"
    )]
    Unpause(ServicesArgs),
    /// Remove stopped service containers
    #[command(
        override_usage = "rm [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl rm                   # remove the stopped containers, after asking\n  envctl rm -fsv web          # stop web's containers, remove them and their anonymous volumes"
    )]
    Rm(RmArgs),
    /// View output from containers
    #[command(
        override_usage = "logs [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl logs -f --tail 10 web db   # the last 10 lines of each, then follow\n  envctl logs --no-color -t > all.log"
    )]
    Logs(LogsArgs),
    /// Execute a command in a running container
    #[command(
        override_usage = "exec [options] [-e KEY=VAL...] [--] SERVICE COMMAND [ARGS...]",
        after_help = "Examples:\n  envctl exec web sh              # a shell, with a TTY when stdin is a terminal\n  envctl exec -T --index 2 -e A=1 web env > env.txt"
    )]
    Exec(ExecArgs),
    /// Run a one-off command on a service
    #[command(
        override_usage = "run [options] [-v VOLUME...] [-p PORT...] [-e KEY=VAL...] [-l KEY=VALUE...] [--]\n    SERVICE [COMMAND] [ARGS...]",
        after_help = "Examples:\n  envctl run --rm web sh            # a shell in a new web container, removed after\n  envctl run --no-deps -e A=1 web env"
    )]
    Run(RunArgs),
    /// Pull service images
    #[command(
        override_usage = "pull [options] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl pull                 # every image of a service without `build`, in parallel\n  envctl pull -q --ignore-pull-failures web db\nExit codes: 0 every image pulled (or failures ignored), 1 a pull failed or the engine is unreachable"
    )]
    Pull(PullArgs),
    /// Build or rebuild services
    #[command(
        override_usage = "build [options] [--build-arg key=val...] [--] [SERVICE...]",
        after_help = "Examples:\n  envctl build                # every service with `build`\n  envctl build --no-cache --build-arg VERSION=2 web\nExit codes: 0 built, 1 a build failed or the engine is unreachable"
    )]
    Build(BuildArgs),
}

#[derive(Debug, ClapArgs)]
pub struct PullArgs {
    /// Pull what it can and ignores images with pull failures
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Deprecated, pull multiple images in parallel (the default)
    #[arg(long, hide = true)]
    pub parallel: bool,
    /// Disable parallel pulling
    #[arg(long)]
    pub no_parallel: bool,
    /// Pull without printing progress information
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Also pull services declared as dependencies
    #[arg(long)]
    pub include_deps: bool,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct BuildArgs {
    /// Do not use cache when building the image
    #[arg(long)]
    pub no_cache: bool,
    /// Always attempt to pull a newer version of the image
    #[arg(long)]
    pub pull: bool,
    /// Set build-time variables for services
    #[arg(long = "build-arg", value_name = "KEY=VAL")]
    pub args: Vec<String>,
    /// Don't print anything to STDOUT
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Always remove intermediate containers
    #[arg(long)]
    pub force_rm: bool,
    /// Do not remove intermediate containers after a successful build
    #[arg(long)]
    pub no_rm: bool,
    /// Build images in parallel
    #[arg(long)]
    pub parallel: bool,
    /// Set memory limit for the build container (`96m`, `1g`, bytes)
    #[arg(short = 'm', long, value_name = "MEM")]
    pub memory: Option<String>,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct ServeArgs {
    /// `HOST:PORT` (a loopback address, any address with TLS) or `unix:PATH` (made
    /// with mode 0600); default `unix:$XDG_RUNTIME_DIR/envctl-serve.sock`, else 127.0.0.1:8080
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Serve TLS with this certificate (PEM, the chain after it)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Ask clients for a certificate signed by this CA (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// The longest a TLS handshake may take before the connection is closed
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub tls_handshake_timeout: String,
    /// Each sub-directory holding a compose file is a template named after it
    #[arg(long, value_name = "DIR")]
    pub templates: PathBuf,
    /// A line per token: `TOKEN NAME SCOPES [environments=N] [containers=N] [ttl=D]`
    #[arg(long, value_name = "FILE")]
    pub tokens: PathBuf,
    /// Accept an inline compose file (`compose`) as well as templates
    #[arg(long)]
    pub allow_inline: bool,
    /// Allow `POST /v1/environments/{name}/run` (one-off commands)
    #[arg(long)]
    pub allow_run: bool,
    /// Allow `build` in templates (inside the template's directory)
    #[arg(long)]
    pub allow_build: bool,
    /// The host address published ports are bound to
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub publish_address: String,
    /// A capability `cap_add` may name, beyond the engine's defaults (repeatable)
    #[arg(long = "allow-cap", value_name = "CAP")]
    pub allow_cap: Vec<String>,
    /// An environment's lifetime when the request gives none
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub default_ttl: String,
    /// The longest lifetime anyone may ask for
    #[arg(long, value_name = "DURATION", default_value = "1d")]
    pub max_ttl: String,
    /// Environments changed at once
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub parallel: usize,
    /// Default memory limit of a service that sets none
    #[arg(long, value_name = "BYTES", default_value = "512m")]
    pub memory: String,
    /// Default CPU limit of a service that sets none
    #[arg(long, value_name = "CPUS", default_value = "1.0")]
    pub cpus: String,
    /// Default process limit of a service that sets none (v2.1+ files)
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub pids: i64,
    /// The largest request body, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024)]
    pub max_body: usize,
    /// The longest a request may take (`wait` included)
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub request_timeout: String,
    /// The longest a connection may wait for a request's headers (new, half-sent or idle after an answer) before it is closed
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub idle_timeout: String,
    /// Connections open at once; past it, new ones wait to be accepted
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// How often expired environments are looked for
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub reap_interval: String,
    /// Where project locks live; default `$XDG_RUNTIME_DIR/envctl-serve`, else the temporary directory's
    #[arg(long, value_name = "DIR")]
    pub state_directory: Option<PathBuf>,
    /// Queue mode: also consume requests from an AMQP queue (`amqp://user:password@host:port/vhost`)
    #[arg(long, value_name = "URL", requires = "queue")]
    pub amqp: Option<String>,
    /// The queue to consume (`NAME.dead` takes the messages that cannot be done)
    #[arg(long, value_name = "NAME", requires = "amqp")]
    pub queue: Option<String>,
    /// The owner recorded on the environments the queue makes
    #[arg(long, value_name = "NAME", default_value = "queue")]
    pub queue_owner: String,
}

#[derive(Debug, ClapArgs)]
pub struct VersionArgs {
    /// Shows only envctl's version number
    #[arg(long)]
    pub short: bool,
}

#[derive(Debug, ClapArgs)]
pub struct RunArgs {
    /// Detached mode: run the container in the background, print its name
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Assign a name to the container
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Override the entrypoint of the image
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Set an environment variable (can be used multiple times; `KEY` alone takes the shell's value)
    #[arg(short = 'e', value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Add or override a label (can be used multiple times)
    #[arg(short = 'l', long = "label", value_name = "KEY=VAL")]
    pub labels: Vec<String>,
    /// Use the service's network aliases in the network(s) the container connects to
    #[arg(long)]
    pub use_aliases: bool,
    /// Run as this user (name or uid)
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Remove the container after it exits (with its anonymous volumes)
    #[arg(long)]
    pub rm: bool,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish", value_name = "PORT")]
    pub publish: Vec<String>,
    /// Run with the service's ports enabled and mapped to the host
    #[arg(long)]
    pub service_ports: bool,
    /// Bind mount a volume
    #[arg(short = 'v', long = "volume", value_name = "VOLUME")]
    pub volumes: Vec<String>,
    /// Disable pseudo-tty allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T')]
    pub no_tty: bool,
    /// Working directory inside the container
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The global `--project-name` without its `-p`, which is `--publish` here.
    #[arg(
        id = "project_name",
        long = "project-name",
        value_name = "NAME",
        hide = true
    )]
    pub project_name: Option<String>,
    pub service: String,
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct ExecArgs {
    /// Detached mode: run the command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Give extended privileges to the process
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// Disable pseudo-tty allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T')]
    pub no_tty: bool,
    /// Index of the container if there are multiple instances of a service
    #[arg(long, value_name = "INDEX", default_value_t = 1)]
    pub index: u32,
    /// Set environment variables (can be used multiple times)
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Path to workdir directory for this command
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    pub service: String,
    #[arg(
        value_name = "COMMAND",
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct LogsArgs {
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Follow log output
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Number of lines to show from the end of the logs for each container (`all` or a number)
    #[arg(long, value_name = "N")]
    pub tail: Option<String>,
    /// The global `--file` without its `-f`, which is `--follow` here.
    #[arg(id = "files", long = "file", value_name = "FILE", hide = true)]
    pub files: Vec<PathBuf>,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// Only `[SERVICE...]`.
#[derive(Debug, ClapArgs)]
pub struct ServicesArgs {
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct StopArgs {
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "TIMEOUT")]
    pub timeout: Option<u64>,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct RestartArgs {
    /// Specify a shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "TIMEOUT", default_value_t = 10)]
    pub timeout: u64,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct KillArgs {
    /// SIGNAL to send to the container
    #[arg(short = 's', value_name = "SIGNAL", default_value = "SIGKILL")]
    pub signal: String,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct RmArgs {
    /// Don't ask to confirm removal
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Stop the containers, if required, before removing
    #[arg(short = 's', long)]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers
    #[arg(short = 'v')]
    pub volumes: bool,
    /// Deprecated - no effect
    #[arg(short = 'a', long, hide = true)]
    pub all: bool,
    /// The global `--file` without its `-f`, which is `--force` here (as in 1.29.2,
    /// `-f` before `rm` names a file); clap keeps this one and fills the global.
    #[arg(id = "files", long = "file", value_name = "FILE", hide = true)]
    pub files: Vec<PathBuf>,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct GraphArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormatArg::Tree)]
    pub format: GraphFormatArg,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum GraphFormatArg {
    /// Each root service with its dependencies below it
    Tree,
    /// Graphviz DOT
    Dot,
    /// A Mermaid flowchart
    Mermaid,
}

#[derive(Debug, Default, ClapArgs)]
pub struct UpArgs {
    /// Detached mode: run containers in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Wait until the services are running (and healthy, when they have a health
    /// check); implies `--detach` (not in docker-compose 1.29.2)
    #[arg(long)]
    pub wait: bool,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long)]
    pub force_recreate: bool,
    /// Recreate dependent containers
    #[arg(long)]
    pub always_recreate_deps: bool,
    /// If containers already exist, don't recreate them
    #[arg(long)]
    pub no_recreate: bool,
    /// Don't start the services after creating them
    #[arg(long)]
    pub no_start: bool,
    /// Scale SERVICE to NUM instances
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Remove containers for services not defined in the compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Recreate anonymous volumes instead of retrieving data from the previous containers
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "TIMEOUT")]
    pub timeout: Option<u64>,
    /// Print the plan (one step a line, with what it waits for and why) and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Build images before starting containers
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's missing
    #[arg(long)]
    pub no_build: bool,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Don't print prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Stops all containers if any container was stopped; incompatible with `-d`
    #[arg(long)]
    pub abort_on_container_exit: bool,
    /// Return the exit code of the selected service container; implies `--abort-on-container-exit`
    #[arg(long, value_name = "SERVICE")]
    pub exit_code_from: Option<String>,
    /// Attach to dependent containers
    #[arg(long)]
    pub attach_dependencies: bool,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct CreateArgs {
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long)]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long)]
    pub no_recreate: bool,
    /// Don't build an image, even if it's missing
    #[arg(long)]
    pub no_build: bool,
    /// Build images before creating containers
    #[arg(long)]
    pub build: bool,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct EventsArgs {
    /// Output events as a stream of json objects
    #[arg(long)]
    pub json: bool,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct ScaleArgs {
    /// Shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "TIMEOUT")]
    pub timeout: Option<u64>,
    #[arg(value_name = "SERVICE=NUM", required = true)]
    pub scales: Vec<String>,
}

#[derive(Debug, ClapArgs)]
pub struct DownArgs {
    /// Remove named volumes declared in the `volumes` section and anonymous volumes attached to containers
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove containers for services not defined in the compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long, value_name = "TIMEOUT")]
    pub timeout: Option<u64>,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Remove images: `local` only those without a custom tag (built for a service without `image`), `all` every image the services use [possible values: local, all]
    #[arg(long, value_name = "TYPE")]
    pub rmi: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct PsArgs {
    /// Only display IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Display services
    #[arg(long)]
    pub services: bool,
    /// Show all stopped containers (including those created by the run command)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Filter services by a property (`status=running|stopped|paused|restarting`, `source=image|build`); with `--services`
    #[arg(long = "filter", value_name = "KEY=VAL")]
    pub filters: Vec<String>,
    /// `table` (docker-compose's), or `json`: one array of objects
    #[arg(long, value_name = "FORMAT", default_value = "table")]
    pub format: PsFormat,
    #[arg(value_name = "SERVICE")]
    pub service_names: Vec<String>,
}

/// `ps --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PsFormat {
    Table,
    Json,
}

#[derive(Debug, ClapArgs)]
pub struct ConfigArgs {
    /// Only validate the configuration, don't print anything
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print the service names, one per line
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Print the profile names, one per line
    #[arg(id = "list_profiles", long = "profiles")]
    pub list_profiles: bool,
    /// Print the service config hash, one per line (`*` for all services)
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Don't interpolate environment variables
    #[arg(long)]
    pub no_interpolate: bool,
}

/// `port`.
#[derive(Debug, ClapArgs)]
pub struct PortArgs {
    /// tcp or udp
    #[arg(long, value_name = "PROTO", default_value = "tcp")]
    pub protocol: String,
    /// Index of the container if there are multiple instances of a service
    #[arg(long, value_name = "INDEX", default_value_t = 1)]
    pub index: u32,
    #[arg(value_name = "SERVICE")]
    pub service: String,
    #[arg(value_name = "PRIVATE_PORT")]
    pub private_port: u16,
}

/// `images`.
#[derive(Debug, ClapArgs)]
pub struct ImagesArgs {
    /// Only display IDs
    #[arg(short, long)]
    pub quiet: bool,
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// `completions`.
#[derive(Debug, ClapArgs)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `stack`'s subcommands, as `docker stack` names them.
#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Deploy a new stack or update an existing one
    #[command(
        override_usage = "stack deploy [options] [STACK]",
        after_help = "Examples:\n  envctl stack deploy --dry-run          # print the plan: what is created, updated (and why), kept\n  envctl stack deploy -c prod.yml shop   # deploy prod.yml as the stack `shop`\n  envctl stack deploy --prune --detach   # also remove services no longer in the file; do not wait"
    )]
    Deploy(StackDeployArgs),
    /// List the tasks in the stack
    #[command(override_usage = "stack ps [STACK]")]
    Ps(StackNameArgs),
    /// List the services in the stack
    #[command(override_usage = "stack services [STACK]")]
    Services(StackNameArgs),
    /// List stacks
    #[command(override_usage = "stack ls")]
    Ls,
    /// Remove the stack: its services, networks, secrets and configs
    #[command(override_usage = "stack rm [STACK]")]
    Rm(StackNameArgs),
}

#[derive(Debug, ClapArgs)]
pub struct StackDeployArgs {
    /// The stack's name (default: the project's name)
    #[arg(value_name = "STACK")]
    pub stack: Option<String>,
    /// Path to a Compose file (`-c` after `deploy`, as docker's; before `stack`, `-c` is `--context`)
    #[arg(long = "compose-file", value_name = "FILE")]
    pub compose_files: Vec<PathBuf>,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Remove the stack's services that are no longer in the file
    #[arg(long)]
    pub prune: bool,
    /// Return once the changes are made, without waiting for the services to converge
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Query the registry to resolve image digests: `always`, `changed` or `never`
    #[arg(long, value_name = "MODE", default_value = "always")]
    pub resolve_image: String,
    /// Allow binding paths of the project's directory, which the other nodes may not have
    #[arg(long)]
    pub allow_host_binds: bool,
    /// Build the services with `build` on the manager, push them to the registry their `image` names, and pin the pushed digest
    #[arg(long)]
    pub push: bool,
    /// Seconds to wait for the services to converge
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, ClapArgs)]
pub struct StackNameArgs {
    /// The stack's name (default: the project's name)
    #[arg(value_name = "STACK")]
    pub stack: Option<String>,
}

/// `stack deploy -c FILE` as docker spells it: `-c` after `deploy` is
/// `--compose-file` (before the subcommand it stays `--context`).
pub fn compose_file_short(arguments: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let stack = arguments.iter().position(|argument| argument == "stack");
    let deploy = stack.and_then(|stack| {
        arguments
            .iter()
            .skip(stack + 1)
            .position(|argument| argument == "deploy")
            .map(|offset| stack + 1 + offset)
    });
    let Some(deploy) = deploy else {
        return arguments;
    };
    arguments
        .into_iter()
        .enumerate()
        .map(|(index, argument)| {
            if index <= deploy {
                return argument;
            }
            match argument.to_str() {
                Some("-c") => "--compose-file".into(),
                Some(text) if text.starts_with("-c") && !text.starts_with("--") => {
                    format!("--compose-file={}", &text[2..]).into()
                }
                _ => argument,
            }
        })
        .collect()
}
